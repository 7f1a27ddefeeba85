/* JSON text: docker's json-file string escaping, and the small reader used on the runtime's log. */
#ifndef BERTH_MONITOR_JSONFMT_H
#define BERTH_MONITOR_JSONFMT_H

#include <stdbool.h>
#include <stddef.h>

typedef void (*json_put_fn)(void *ctx, const char *data, size_t len);

/* Escapes s (without the surrounding quotes) exactly as moby's jsonlog does: \" \\ \n \r,
 * \u00XX for other control bytes and for < > &, \u2028 \u2029, and \ufffd for each byte that
 * is not part of valid UTF-8. */
void json_escape(json_put_fn put, void *ctx, const unsigned char *s, size_t len);

/* Writes s as a quoted JSON string into out (NUL-terminated, truncated to fit). */
void json_quote(char *out, size_t cap, const char *s);

/* Finds key in a flat JSON object and decodes its string value into out (truncated to fit). */
bool json_object_string(const char *json, const char *key, char *out, size_t cap);

#endif
