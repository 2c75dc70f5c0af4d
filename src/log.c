/* log.c - JSON-lines logging on stderr. */
#include "rma/log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static enum log_level min_level = LOG_INFO;
static char request_id[65];

static const char *const level_names[] = {"debug", "info", "warn", "error"};

int
log_level_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

void
log_set_level(enum log_level level)
{
    min_level = level;
}

void
log_set_request_id(const char *id)
{
    if (id == NULL) {
        request_id[0] = '\0';
        return;
    }
    size_t n = strnlen(id, sizeof(request_id) - 1);
    memcpy(request_id, id, n);
    request_id[n] = '\0';
}

const char *
log_request_id(void)
{
    return request_id;
}

static void
format_time(char *out, size_t n)
{
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    size_t len = strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + len, n - len, ".%03dZ", (int)(tv.tv_usec / 1000));
}

void
log_event(enum log_level level, const char *event, const char *fields_fmt, ...)
{
    if (level < min_level)
        return;
    char ts[40];
    format_time(ts, sizeof(ts));

    json_t *line = json_object();
    if (line == NULL)
        return;
    json_object_set_new(line, "time", json_string(ts));
    json_object_set_new(line, "level", json_string(level_names[level]));
    json_object_set_new(line, "pid", json_integer(getpid()));
    if (request_id[0] != '\0')
        json_object_set_new(line, "request_id", json_string(request_id));
    json_object_set_new(line, "event", json_string(event));
    if (fields_fmt != NULL) {
        va_list ap;
        json_error_t jerr;
        va_start(ap, fields_fmt);
        json_t *fields = json_vpack_ex(&jerr, 0, fields_fmt, ap);
        va_end(ap);
        if (fields != NULL)
            json_object_update(line, fields);
        else
            json_object_set_new(line, "log_format_error",
                                json_string(jerr.text));
        json_decref(fields);
    }
    char *text = json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(line);
    if (text == NULL)
        return;
    size_t len = strlen(text);
    text[len] = '\n'; /* overwrite the NUL: written by length below */
    /* One write per line so lines from several workers never interleave. */
    ssize_t w = write(STDERR_FILENO, text, len + 1);
    (void)w;
    free(text);
}
