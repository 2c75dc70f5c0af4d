/* log.h - one JSON object per line on stderr (journald-friendly).
 *
 * Every line carries time (UTC, ms), level, pid, request_id (when a request
 * is being served) and event; further fields come from a jansson pack format:
 *
 *     log_event(LOG_WARN, "db_reconnect", "{s:s, s:i}", "sqlstate", st, "n",
 * n);
 *
 * Never pass a secret, a one-time code or a full token. */
#ifndef RMA_LOG_H
#define RMA_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Parses "debug", "info", "warn", "error"; returns -1 if unknown. */
int log_level_parse(const char *s);
void log_set_level(enum log_level level);
/* Copies id (at most 64 bytes); NULL clears it.  Cleared after each request. */
void log_set_request_id(const char *id);
const char *log_request_id(void);
/* fields_fmt may be NULL for no fields. */
void log_event(enum log_level level, const char *event, const char *fields_fmt,
               ...);

#endif
