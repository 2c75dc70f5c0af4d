/* ctl_orders.c - `rmactl orders import FILE.csv` (SPEC §15): the vendor's
 * original orders, one row per line (orders.h names the columns), stored
 * once each so that agents pick them in the console.  Every order is
 * checked with the staff API's own rules (http_json.h) before it is sent;
 * each is stored in one statement, so a refused order leaves the others. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rma/csv_reader.h"
#include "rma/ctl.h"
#include "rma/http_json.h"
#include "rma/orders.h"

#define EXIT_WORK 1
#define EXIT_USAGE 2
#define MAX_ORDERS 100000

static const char orders_usage[] =
    "usage: rmactl orders import FILE.csv   (- for standard input)\n"
    "columns: order_number, sales_channel, customer_email, customer_name,\n"
    "         shipping_country, currency, purchase_date, model, quantity,\n"
    "         unit_price (one row per line of an order)\n";

static int
usage(void)
{
    fputs(orders_usage, stderr);
    return EXIT_USAGE;
}

enum column {
    C_NUMBER,
    C_CHANNEL,
    C_EMAIL,
    C_NAME,
    C_COUNTRY,
    C_CURRENCY,
    C_DATE,
    C_MODEL,
    C_QUANTITY,
    C_PRICE,
    C_COUNT
};
static const char *const column_names[C_COUNT] = {
    "order_number",     "sales_channel", "customer_email", "customer_name",
    "shipping_country", "currency",      "purchase_date",  "model",
    "quantity",         "unit_price"};
/* The order's own columns: every row of one order must agree on them. */
static const enum column order_columns[] = {C_EMAIL, C_NAME, C_COUNTRY,
                                            C_CURRENCY, C_DATE};

static const struct field item_spec[] = {
    {.name = "model", .type = FT_STRING, .required = true, .min = 1, .max = 64},
    {.name = "quantity",
     .type = FT_INTEGER,
     .required = true,
     .min = 1,
     .max = 1000},
    {.name = "unit_price", .type = FT_MONEY, .required = true},
};
static const struct field order_spec[] = {
    {.name = "order_number",
     .type = FT_STRING,
     .required = true,
     .min = 1,
     .max = 64},
    {.name = "sales_channel",
     .type = FT_STRING,
     .required = true,
     .min = 1,
     .max = 64},
    {.name = "customer_email", .type = FT_EMAIL, .required = true},
    {.name = "customer_name",
     .type = FT_STRING,
     .required = true,
     .min = 1,
     .max = 200},
    {.name = "shipping_country", .type = FT_COUNTRY, .required = true},
    {.name = "currency", .type = FT_CURRENCY, .required = true},
    {.name = "purchase_date", .type = FT_DATE, .required = true},
    {.name = "items",
     .type = FT_ARRAY,
     .required = true,
     .min = 1,
     .max = 50,
     .sub = FIELDS(item_spec)},
};

/* A quantity as JSON: an integer when it is one (else the text, which
 * the checks refuse with its name). */
static json_t *
quantity(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 6 || strspn(s, "0123456789") != n)
        return json_string(s);
    return json_integer(strtol(s, NULL, 10));
}

/* The rows of the file grouped into orders (a JSON object keyed by
 * channel, a unit separator and number), each with the first line it was
 * seen on.  Returns 0, or prints what is wrong and returns the exit status. */
static int
read_orders(FILE *f, const char *name, json_t *orders)
{
    struct csv_reader r;
    static struct csv_record rec;
    csv_reader_init(&r, f);
    enum csv_read_result res = csv_read(&r, &rec);
    if (res != CSV_RECORD) {
        fprintf(stderr, "orders import: %s: %s\n", name,
                res == CSV_END ? "no header row" : csv_read_error(res));
        return EXIT_USAGE;
    }
    int at[C_COUNT];
    for (int c = 0; c < C_COUNT; c++) {
        at[c] = -1;
        for (size_t i = 0; i < rec.n; i++)
            if (strcmp(rec.cell[i], column_names[c]) == 0)
                at[c] = (int)i;
        if (at[c] < 0) {
            fprintf(stderr, "orders import: %s: no column %s in the header\n%s",
                    name, column_names[c], orders_usage);
            return EXIT_USAGE;
        }
    }
    while ((res = csv_read(&r, &rec)) == CSV_RECORD) {
        const char *cell[C_COUNT];
        for (int c = 0; c < C_COUNT; c++)
            cell[c] = (size_t)at[c] < rec.n ? rec.cell[at[c]] : "";
        char key[160];
        snprintf(key, sizeof(key), "%.64s\x1f%.64s", cell[C_CHANNEL],
                 cell[C_NUMBER]);
        json_t *o = json_object_get(orders, key);
        if (o == NULL) {
            if (json_object_size(orders) >= MAX_ORDERS) {
                fprintf(stderr,
                        "orders import: more than %d orders: split "
                        "the file\n",
                        MAX_ORDERS);
                return EXIT_USAGE;
            }
            o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[], s:I}",
                          "order_number", cell[C_NUMBER], "sales_channel",
                          cell[C_CHANNEL], "customer_email", cell[C_EMAIL],
                          "customer_name", cell[C_NAME], "shipping_country",
                          cell[C_COUNTRY], "currency", cell[C_CURRENCY],
                          "purchase_date", cell[C_DATE], "items", "line",
                          (json_int_t)rec.line);
            if (o == NULL) {
                fprintf(stderr, "orders import: line %ld is not UTF-8\n",
                        rec.line);
                return EXIT_USAGE;
            }
            json_object_set_new(orders, key, o);
        }
        for (size_t k = 0; k < sizeof(order_columns) / sizeof(*order_columns);
             k++) {
            enum column c = order_columns[k];
            const char *was =
                json_string_value(json_object_get(o, column_names[c]));
            bool differs = c == C_EMAIL ? strcasecmp(was, cell[c]) != 0
                                        : strcmp(was, cell[c]) != 0;
            if (was != NULL && differs)
                json_object_set_new(o, "disagree",
                                    json_pack("{s:s, s:I}", "column",
                                              column_names[c], "line",
                                              (json_int_t)rec.line));
        }
        json_t *item = json_pack(
            "{s:s, s:o, s:{s:s, s:s}}", "model", cell[C_MODEL], "quantity",
            quantity(cell[C_QUANTITY]), "unit_price", "currency_code",
            cell[C_CURRENCY], "value", cell[C_PRICE]);
        if (item == NULL) {
            fprintf(stderr, "orders import: line %ld is not UTF-8\n", rec.line);
            return EXIT_USAGE;
        }
        json_array_append_new(json_object_get(o, "items"), item);
    }
    if (res != CSV_END) {
        fprintf(stderr, "orders import: %s line %ld: %s\n", name, rec.line,
                csv_read_error(res));
        return EXIT_USAGE;
    }
    return 0;
}

/* Checks and stores one order; says what went wrong on stderr.  Returns
 * the outcome, or -1 when it was refused. */
static int
import_one(struct db *db, json_t *o, enum rma_err *db_err)
{
    long line = (long)json_integer_value(json_object_get(o, "line"));
    const char *number = json_string_value(json_object_get(o, "order_number"));
    json_t *dis = json_object_get(o, "disagree");
    if (dis != NULL) {
        fprintf(stderr,
                "orders import: order %s (line %ld): line %lld has another "
                "%s\n",
                number, line,
                (long long)json_integer_value(json_object_get(dis, "line")),
                json_string_value(json_object_get(dis, "column")));
        return -1;
    }
    json_object_del(o, "line");
    char *text = json_dumps(o, JSON_COMPACT);
    struct arena a;
    arena_init(&a, 4096);
    struct http_response res;
    memset(&res, 0, sizeof(res));
    json_t *checked = NULL;
    enum rma_err err = http_json_parse(text, strlen(text), &a, &res,
                                       FIELDS(order_spec), &checked);
    int outcome = -1;
    if (err != RMA_OK) {
        const char *why =
            res.error_message ? res.error_message : rma_err_code(err);
        bool named = res.error_field == NULL || strstr(why, res.error_field);
        fprintf(stderr, "orders import: order %s (line %ld): %s%s%s%s\n",
                number ? number : "", line, why, named ? "" : " (",
                named ? "" : res.error_field, named ? "" : ")");
    } else {
        enum order_import_outcome out = ORDER_CREATED;
        err = db_order_import(db, text, &out);
        if (err == RMA_OK)
            outcome = (int)out;
        else if (err == RMA_ERULE)
            fprintf(stderr,
                    "orders import: order %s (line %ld): an unknown model, "
                    "or a value the database refuses\n",
                    number, line);
        else
            *db_err = err;
        if (err == RMA_OK && out == ORDER_OTHER_CUSTOMER)
            fprintf(stderr,
                    "orders import: order %s (line %ld) exists for another "
                    "customer: not changed\n",
                    number, line);
        if (err == RMA_OK && out == ORDER_DIFFERENT_LINES)
            fprintf(stderr,
                    "orders import: order %s (line %ld) exists with other "
                    "lines: not changed\n",
                    number, line);
    }
    json_decref(checked);
    arena_free(&a);
    free(text);
    return outcome;
}

int
ctl_orders(const struct rma_config *cfg, int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[1], "import") != 0)
        return usage();
    const char *name = argv[2];
    FILE *f = strcmp(name, "-") == 0 ? stdin : fopen(name, "r");
    if (f == NULL) {
        perror(name);
        return EXIT_USAGE;
    }
    json_t *orders = json_object();
    int rc = read_orders(f, name, orders);
    if (f != stdin)
        fclose(f);
    if (rc != 0) {
        json_decref(orders);
        return rc;
    }
    struct db db;
    db_init(&db, cfg->database_url, "rmactl-orders");
    int created = 0, existing = 0, refused = 0;
    enum rma_err db_err = RMA_OK;
    const char *key;
    json_t *o;
    json_object_foreach(orders, key, o)
    {
        int out = import_one(&db, o, &db_err);
        if (db_err != RMA_OK)
            break;
        if (out == ORDER_CREATED)
            created++;
        else if (out == ORDER_EXISTS)
            existing++;
        else
            refused++;
    }
    db_close(&db);
    json_decref(orders);
    if (db_err != RMA_OK) {
        fprintf(stderr,
                "orders import: the database is unavailable (%s); "
                "run it again: stored orders are not stored twice\n",
                rma_err_code(db_err));
        return EXIT_WORK;
    }
    printf("orders import: %d created, %d already there, %d refused\n", created,
           existing, refused);
    return refused > 0 ? EXIT_WORK : 0;
}
