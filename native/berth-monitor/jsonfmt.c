#include "jsonfmt.h"

#include <stdint.h>
#include <string.h>

static const char hex_digits[] = "0123456789abcdef";

/* Length of the valid UTF-8 sequence at s, by Go's utf8.DecodeRune rules (no overlongs,
 * surrogates or values past U+10FFFF), or 0 when the first byte starts no valid sequence. */
static size_t utf8_sequence_len(const unsigned char *s, size_t n) {
  unsigned char c = s[0], lo = 0x80, hi = 0xBF;
  size_t need;
  if (c >= 0xC2 && c <= 0xDF) {
    need = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (n < need || s[1] < lo || s[1] > hi) return 0;
  for (size_t i = 2; i < need; i++) {
    if (s[i] < 0x80 || s[i] > 0xBF) return 0;
  }
  return need;
}

/* The escape for one ASCII byte that moby escapes, into esc; returns its length. */
static size_t escape_ascii(unsigned char b, char esc[8]) {
  esc[0] = '\\';
  switch (b) {
    case '\\':
    case '"':
      esc[1] = (char)b;
      return 2;
    case '\n':
      esc[1] = 'n';
      return 2;
    case '\r':
      esc[1] = 'r';
      return 2;
    default:
      memcpy(esc, "\\u00", 4);
      esc[4] = hex_digits[b >> 4];
      esc[5] = hex_digits[b & 0xF];
      return 6;
  }
}

void json_escape(json_put_fn put, void *ctx, const unsigned char *s, size_t len) {
  size_t start = 0, i = 0;
  char esc[8];
  while (i < len) {
    unsigned char b = s[i];
    size_t esc_len, advance = 1;
    if (b < 0x80) {
      if (b >= 0x20 && b != '\\' && b != '"' && b != '<' && b != '>' && b != '&') {
        i++;
        continue;
      }
      esc_len = escape_ascii(b, esc);
    } else {
      size_t n = utf8_sequence_len(s + i, len - i);
      if (n == 0) {
        memcpy(esc, "\\ufffd", 6);
        esc_len = 6;
      } else if (n == 3 && b == 0xE2 && s[i + 1] == 0x80 && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)) {
        memcpy(esc, "\\u202", 5);
        esc[5] = s[i + 2] == 0xA8 ? '8' : '9';
        esc_len = 6;
        advance = 3;
      } else {
        i += n;
        continue;
      }
    }
    if (start < i) put(ctx, (const char *)s + start, i - start);
    put(ctx, esc, esc_len);
    i += advance;
    start = i;
  }
  if (start < len) put(ctx, (const char *)s + start, len - start);
}

struct fixed_out {
  char *out;
  size_t len;
  size_t cap; /* room for text, keeping 2 bytes for the closing quote and NUL */
  int full;
};

static void put_fixed(void *ctx, const char *data, size_t n) {
  struct fixed_out *f = ctx;
  if (f->full) return;
  if (f->len + n > f->cap) {
    size_t room = f->cap - f->len;
    /* Cut plain text on a character boundary; an escape that does not fit is dropped whole. */
    if (data[0] == '\\') room = 0;
    while (room > 0 && ((unsigned char)data[room] & 0xC0) == 0x80) room--;
    n = room;
    f->full = 1;
  }
  memcpy(f->out + f->len, data, n);
  f->len += n;
}

void json_quote(char *out, size_t cap, const char *s) {
  if (cap < 3) {
    if (cap > 0) out[0] = '\0';
    return;
  }
  struct fixed_out f = {out, 1, cap - 2, 0};
  out[0] = '"';
  json_escape(put_fixed, &f, (const unsigned char *)s, strlen(s));
  out[f.len++] = '"';
  out[f.len] = '\0';
}

static const char *skip_ws(const char *p) {
  while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
  return p;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static const char *parse_hex4(const char *p, uint32_t *out) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    int d = hex_value(p[i]);
    if (d < 0) return NULL;
    v = v << 4 | (uint32_t)d;
  }
  *out = v;
  return p + 4;
}

static size_t utf8_encode(uint32_t cp, char out[4]) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | cp >> 6);
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | cp >> 12);
    out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | cp >> 18);
  out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
  out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* Decodes the \u escape at p (just after the 'u'), pairing surrogates; lone ones become U+FFFD. */
static const char *parse_unicode_escape(const char *p, uint32_t *cp) {
  p = parse_hex4(p, cp);
  if (!p) return NULL;
  if (*cp >= 0xD800 && *cp <= 0xDBFF && p[0] == '\\' && p[1] == 'u') {
    uint32_t low;
    const char *q = parse_hex4(p + 2, &low);
    if (q && low >= 0xDC00 && low <= 0xDFFF) {
      *cp = 0x10000 + ((*cp - 0xD800) << 10) + (low - 0xDC00);
      return q;
    }
  }
  if (*cp >= 0xD800 && *cp <= 0xDFFF) *cp = 0xFFFD;
  return p;
}

/* Decodes the JSON string at p (its opening quote) into out, if given, truncated to cap - 1
 * bytes. Returns the position after the closing quote, or NULL when malformed. */
static const char *parse_string(const char *p, char *out, size_t cap) {
  size_t n = 0;
  if (*p++ != '"') return NULL;
  for (;;) {
    char enc[4];
    size_t enc_len = 1;
    char c = *p++;
    if (c == '\0') return NULL;
    if (c == '"') break;
    enc[0] = c;
    if (c == '\\') {
      c = *p++;
      switch (c) {
        case '"': case '\\': case '/': enc[0] = c; break;
        case 'b': enc[0] = '\b'; break;
        case 'f': enc[0] = '\f'; break;
        case 'n': enc[0] = '\n'; break;
        case 'r': enc[0] = '\r'; break;
        case 't': enc[0] = '\t'; break;
        case 'u': {
          uint32_t cp;
          p = parse_unicode_escape(p, &cp);
          if (!p) return NULL;
          enc_len = utf8_encode(cp, enc);
          break;
        }
        default: return NULL;
      }
    }
    if (out && n + enc_len < cap) {
      memcpy(out + n, enc, enc_len);
      n += enc_len;
    }
  }
  if (out && cap > 0) out[n] = '\0';
  return p;
}

/* Skips one value (scalar, string, object or array); returns the position after it. */
static const char *skip_value(const char *p) {
  int depth = 0;
  p = skip_ws(p);
  while (*p) {
    if (*p == '"') {
      p = parse_string(p, NULL, 0);
      if (!p) return NULL;
      if (depth == 0) return p;
      continue;
    }
    if (*p == '{' || *p == '[') {
      depth++;
    } else if (*p == '}' || *p == ']') {
      if (depth == 0) return p;
      if (--depth == 0) return p + 1;
    } else if (*p == ',' && depth == 0) {
      return p;
    }
    p++;
  }
  return p;
}

bool json_object_string(const char *json, const char *key, char *out, size_t cap) {
  const char *p = skip_ws(json);
  if (*p++ != '{') return false;
  for (;;) {
    char name[64];
    p = skip_ws(p);
    if (*p != '"') return false;
    p = parse_string(p, name, sizeof name);
    if (!p) return false;
    p = skip_ws(p);
    if (*p++ != ':') return false;
    p = skip_ws(p);
    if (strcmp(name, key) == 0 && *p == '"') return parse_string(p, out, cap) != NULL;
    p = skip_value(p);
    if (!p) return false;
    p = skip_ws(p);
    if (*p++ != ',') return false;
  }
}
