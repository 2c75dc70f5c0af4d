/* fcgi_min.c - the limit the API read is judged against (SPEC §11): the
 * least a libfcgi responder can do — one prepared PostgreSQL query on a
 * persistent connection, its answer as JSON.  No routing, authentication,
 * validation or logging.
 *
 *   fcgi_min SOCKET CONNINFO WORKERS [pk|stored|detail|case]
 *
 * pk (the default, SPEC §11's limit): one primary-key fetch on one table,
 * GET .../{id} answers {"number": ..., "status": ...} of rma row id.
 * stored: GET .../{id} answers the customer's document as stored in
 * rma_document (0021_read_cache.sql), one primary-key fetch that carries
 * the document's bytes.
 * detail: GET .../{number} answers the document the API answers, built
 * by rma_detail_json (what reading a case cost before 0021_read_cache.sql;
 * bench/api.sh reports it for reference); case: the case alone (rma_json).
 * Preforks WORKERS processes accepting on the Unix socket SOCKET. */
#include <fcgiapp.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const pk_sql =
    "SELECT number, status FROM rma WHERE id = $1";
static const char *const stored_sql =
    "SELECT customer_doc FROM rma_document WHERE rma_id = $1";
static const char *const detail_sql =
    "SELECT rma_detail_json(r.id, false)::text FROM rma r WHERE r.number = $1";
static const char *const case_sql =
    "SELECT rma_json(r.id, false)::text FROM rma r WHERE r.number = $1";
static const char *sql = pk_sql;

static int
serve(int fd, const char *conninfo)
{
    PGconn *db = PQconnectdb(conninfo);
    if (PQstatus(db) != CONNECTION_OK) {
        fprintf(stderr, "fcgi_min: %s", PQerrorMessage(db));
        return 1;
    }
    PGresult *p = PQprepare(db, "q", sql, 1, NULL);
    if (PQresultStatus(p) != PGRES_COMMAND_OK) {
        fprintf(stderr, "fcgi_min: %s", PQerrorMessage(db));
        return 1;
    }
    PQclear(p);
    FCGX_Request rq;
    FCGX_InitRequest(&rq, fd, 0);
    while (FCGX_Accept_r(&rq) >= 0) {
        const char *uri = FCGX_GetParam("DOCUMENT_URI", rq.envp);
        const char *number = uri ? strrchr(uri, '/') : NULL;
        const char *params[] = {number ? number + 1 : ""};
        PGresult *r = PQexecPrepared(db, "q", 1, params, NULL, NULL, 0);
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
            sql == pk_sql) /* the number and a status need no escaping */
            FCGX_FPrintF(rq.out,
                         "Status: 200 OK\r\nContent-Type: "
                         "application/json\r\n\r\n{\"number\":\"%s\","
                         "\"status\":\"%s\"}",
                         PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1));
        else if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
            FCGX_FPrintF(rq.out,
                         "Status: 200 OK\r\nContent-Type: "
                         "application/json\r\n\r\n%s",
                         PQgetvalue(r, 0, 0));
        else
            FCGX_FPrintF(rq.out, "Status: 404 Not Found\r\nContent-Type: "
                                 "application/json\r\n\r\n{}");
        PQclear(r);
        FCGX_Finish_r(&rq);
    }
    PQfinish(db);
    return 0;
}

int
main(int argc, char **argv)
{
    const char *mode = argc == 5 ? argv[4] : "pk";
    if (argc < 4 || argc > 5 ||
        (strcmp(mode, "pk") != 0 && strcmp(mode, "stored") != 0 &&
         strcmp(mode, "detail") != 0 && strcmp(mode, "case") != 0)) {
        fprintf(stderr, "usage: fcgi_min SOCKET CONNINFO WORKERS "
                        "[pk|stored|detail|case]\n");
        return 2;
    }
    sql = strcmp(mode, "pk") == 0       ? pk_sql
          : strcmp(mode, "stored") == 0 ? stored_sql
          : strcmp(mode, "detail") == 0 ? detail_sql
                                        : case_sql;
    int workers = (int)strtol(argv[3], NULL, 10);
    if (FCGX_Init() != 0)
        return 1;
    unlink(argv[1]);
    int fd = FCGX_OpenSocket(argv[1], 1024);
    if (fd < 0)
        return 1;
    chmod(argv[1], 0666);
    for (int i = 0; i < workers; i++)
        if (fork() == 0)
            return serve(fd, argv[2]);
    while (wait(NULL) > 0)
        ;
    return 0;
}
