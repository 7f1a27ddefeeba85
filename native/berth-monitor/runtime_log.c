#include "runtime_log.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsonfmt.h"
#include "util.h"

off_t runtime_log_offset(int dirfd) {
  struct stat st;
  return fstatat(dirfd, RUNTIME_LOG_NAME, &st, 0) == 0 ? st.st_size : 0;
}

static bool is_error_level(const char *level) {
  return strcmp(level, "error") == 0 || strcmp(level, "fatal") == 0 || strcmp(level, "panic") == 0;
}

/* Copies the line's msg to out when the line is an error-level JSON record. */
static bool take_line(const char *line, char *out, size_t cap) {
  static char candidate[1024];
  char level[16];
  if (!json_object_string(line, "level", level, sizeof level) || !is_error_level(level)) return false;
  if (!json_object_string(line, "msg", candidate, sizeof candidate) || candidate[0] == '\0') return false;
  size_t n = strlen(candidate);
  if (n >= cap) n = cap - 1;
  memcpy(out, candidate, n);
  out[n] = '\0';
  return true;
}

bool runtime_log_error(int dirfd, off_t offset, char *msg, size_t cap) {
  int fd = openat(dirfd, RUNTIME_LOG_NAME, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  if (lseek(fd, offset, SEEK_SET) < 0) {
    close(fd);
    return false;
  }
  static char line[8192]; /* longer lines are skipped: not a record we can parse whole */
  char chunk[4096];
  size_t len = 0;
  bool overflow = false, found = false;
  ssize_t n;
  while ((n = read_retry(fd, chunk, sizeof chunk)) > 0) {
    for (ssize_t i = 0; i < n; i++) {
      if (chunk[i] != '\n') {
        if (len < sizeof line - 1) line[len++] = chunk[i];
        else overflow = true;
        continue;
      }
      line[len] = '\0';
      if (!overflow && take_line(line, msg, cap)) found = true;
      len = 0;
      overflow = false;
    }
  }
  line[len] = '\0';
  if (len > 0 && !overflow && take_line(line, msg, cap)) found = true;
  close(fd);
  return found;
}
