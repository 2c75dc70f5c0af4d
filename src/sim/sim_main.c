/* sim_main.c - paypal-sim: command line, signals, the HTTP daemon and the
 * webhook thread.  Nothing else (doc/paypal-sim.md). */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rma/log.h"
#include "sim/sim_http.h"
#include "sim/sim_state.h"
#include "sim/sim_webhooks.h"

static void
usage(void)
{
    fputs("usage: paypal-sim --listen HOST:PORT\n"
          "       [--client-id ID --client-secret SECRET]...\n"
          "       [--webhook-url URL] [--webhook-id ID] [--ca-out FILE]\n"
          "       [--record FILE] [--state FILE] [--public-url URL]\n",
          stderr);
}

static bool
parse_listen(struct sim *s, const char *text)
{
    const char *colon = strrchr(text, ':');
    if (colon == NULL || (size_t)(colon - text) >= sizeof(s->listen_host))
        return false;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || port < 1 || port > 65535)
        return false;
    memcpy(s->listen_host, text, (size_t)(colon - text));
    s->listen_host[colon - text] = '\0';
    s->listen_port = (int)port;
    return true;
}

static bool
parse_args(struct sim *s, int argc, char **argv, const char **ca_out,
           const char **record)
{
    const char *listen = NULL, *public_url = NULL;
    const char *pending_id = NULL;
    s->webhook_id = "WHRMADEMO";
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (val == NULL) {
            fprintf(stderr, "paypal-sim: %s needs a value\n", opt);
            return false;
        }
        i++;
        if (strcmp(opt, "--listen") == 0) {
            listen = val;
        } else if (strcmp(opt, "--client-id") == 0) {
            pending_id = val;
        } else if (strcmp(opt, "--client-secret") == 0) {
            if (pending_id == NULL || s->n_clients == SIM_MAX_CLIENTS) {
                fputs("paypal-sim: --client-secret needs a --client-id "
                      "before it\n",
                      stderr);
                return false;
            }
            s->clients[s->n_clients].id = pending_id;
            s->clients[s->n_clients].secret = val;
            s->n_clients++;
            pending_id = NULL;
        } else if (strcmp(opt, "--webhook-url") == 0) {
            s->webhook_url = val;
        } else if (strcmp(opt, "--webhook-id") == 0) {
            s->webhook_id = val;
        } else if (strcmp(opt, "--ca-out") == 0) {
            *ca_out = val;
        } else if (strcmp(opt, "--record") == 0) {
            *record = val;
        } else if (strcmp(opt, "--state") == 0) {
            s->state_file = val;
        } else if (strcmp(opt, "--public-url") == 0) {
            public_url = val;
        } else {
            fprintf(stderr, "paypal-sim: unknown option %s\n", opt);
            return false;
        }
    }
    if (listen == NULL || !parse_listen(s, listen) || pending_id != NULL)
        return false;
    if (s->n_clients == 0) {
        s->clients[0].id = "rma-demo-client";
        s->clients[0].secret = "sim-secret";
        s->n_clients = 1;
    }
    if (public_url != NULL)
        snprintf(s->public_url, sizeof(s->public_url), "%s", public_url);
    else
        snprintf(s->public_url, sizeof(s->public_url), "http://%s", listen);
    size_t n = strlen(s->public_url);
    if (n > 0 && s->public_url[n - 1] == '/')
        s->public_url[n - 1] = '\0';
    return true;
}

int
main(int argc, char **argv)
{
    static struct sim sim;
    struct sim *s = &sim;
    const char *ca_out = NULL, *record = NULL;
    int status = 1;
    struct MHD_Daemon *daemon = NULL;
    pthread_t webhook_thread;
    bool thread_started = false;

    g_sim = s;
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->record_lock, NULL);
    pthread_cond_init(&s->wake, NULL);
    pthread_mutex_init(&s->nap_lock, NULL);
    pthread_cond_init(&s->nap_end, NULL);
    if (!parse_args(s, argc, argv, &ca_out, &record)) {
        usage();
        return 2;
    }
    s->tokens = json_object();
    sim_state_reset(s);
    sim_state_load(s);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 1;
    if (!sim_webhooks_init(s, ca_out)) {
        log_event(LOG_ERROR, "sim_keys_failed", NULL);
        goto done;
    }
    if (record != NULL) {
        s->record = fopen(record, "a");
        if (s->record == NULL) {
            log_event(LOG_ERROR, "sim_record_open_failed", "{s:s}", "file",
                      record);
            goto done;
        }
    }

    /* Signals go to sigwait below, never to the worker threads. */
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)s->listen_port);
    if (inet_pton(AF_INET, s->listen_host, &addr.sin_addr) != 1) {
        log_event(LOG_ERROR, "sim_bad_listen_address", "{s:s}", "host",
                  s->listen_host);
        goto done;
    }
    daemon = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
            MHD_USE_ERROR_LOG,
        (uint16_t)s->listen_port, NULL, NULL, sim_http_handler, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_NOTIFY_COMPLETED, sim_http_completed, NULL,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)120,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)512, MHD_OPTION_END);
    if (daemon == NULL) {
        log_event(LOG_ERROR, "sim_listen_failed", "{s:s, s:i}", "host",
                  s->listen_host, "port", s->listen_port);
        goto done;
    }
    if (pthread_create(&webhook_thread, NULL, sim_webhooks_thread, s) != 0)
        goto done;
    thread_started = true;
    log_event(LOG_INFO, "sim_listening", "{s:s, s:i, s:s, s:s}", "host",
              s->listen_host, "port", s->listen_port, "public_url",
              s->public_url, "cert", s->cert_name);

    int sig = 0;
    sigwait(&signals, &sig);
    log_event(LOG_INFO, "sim_stopping", "{s:i}", "signal", sig);
    status = 0;

done:
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    pthread_cond_broadcast(&s->wake);
    pthread_mutex_unlock(&s->lock);
    pthread_mutex_lock(&s->nap_lock);
    s->napping_stops = true;
    pthread_cond_broadcast(&s->nap_end);
    pthread_mutex_unlock(&s->nap_lock);
    if (daemon != NULL)
        MHD_stop_daemon(daemon);
    if (thread_started)
        pthread_join(webhook_thread, NULL);
    if (s->record != NULL)
        fclose(s->record);
    sim_webhooks_free(s);
    json_decref(s->state);
    json_decref(s->tokens);
    curl_global_cleanup();
    return status;
}
