/* bench_queue.c — jobs/s of the Redis state machine alone (queue/).
 *
 * Starts a private redis-server on a unix socket, loads N jobs into ota:jobs
 * with `redis-cli --pipe`, then runs jobq with a gateway that answers at
 * once: every job goes received -> submitted -> delivered -> confirmed
 * (intake, submitted, receipt, PoR: four script calls, pipelined on one
 * connection). Prints jobs/s; asserts nothing about timing, only that every
 * job was confirmed. BENCH_JOBS overrides N (default 20000). */
#include <errno.h>
#include <ev.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "queue/jobq.h"

static struct jobq *q;
static struct ev_loop *loop;
static unsigned total, confirmed, errors;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void on_por(void *ud, int err, const char *result, const char *job)
{
    (void)ud, (void)job;
    if (err || strcmp(result, "confirmed") != 0)
        errors++;
    else if (++confirmed == total)
        ev_break(loop, EVBREAK_ALL);
}

static void on_done(void *ud, int err, const char *result, const char *job)
{
    (void)ud, (void)job, (void)result;
    if (err)
        errors++;
}

static void job_ready(void *ud, struct jobq_job *j)
{
    (void)ud;
    char m[96], msisdn[16];
    snprintf(m, sizeof m, "m%s", j->key);
    snprintf(msisdn, sizeof msisdn, "%s", j->msisdn);
    uint64_t c = j->counter;
    const char *ids[1] = {m};
    if (jobq_job_submitted(q, j, "c", "DE", "b00010", ids, 1, on_done, NULL) != 0)
        errors++;
    (void)jobq_receipt(q, "c", m, "DELIVRD", "000", on_done, NULL);
    static const uint8_t ok[] = {0x01, 0x90, 0x00};
    (void)jobq_por(q, msisdn, "b00010", c, 0, ok, 3, on_por, NULL);
}

static void resp(FILE *p, int argc, const char *const *argv)
{
    fprintf(p, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++)
        fprintf(p, "$%zu\r\n%s\r\n", strlen(argv[i]), argv[i]);
}

static void on_timeout(struct ev_loop *l, ev_timer *w, int revents)
{
    (void)w, (void)revents;
    ev_break(l, EVBREAK_ALL);
}

int main(void)
{
    const char *n_env = getenv("BENCH_JOBS");
    total = n_env ? (unsigned)atoi(n_env) : 20000;
    char dir[] = "/tmp/otagw-bench.XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char sock[128], cmd[512];
    snprintf(sock, sizeof sock, "%s/redis.sock", dir);
    pid_t rp = fork();
    if (rp == 0) {
        if (!freopen("/dev/null", "w", stdout))
            _exit(127);
        execlp("redis-server", "redis-server", "--port", "0", "--unixsocket", sock, "--dir", dir,
               "--save", "", "--appendonly", "no", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 100 && access(sock, F_OK) != 0; i++)
        usleep(20000);
    /* Jobs and a card, in RESP through redis-cli --pipe. */
    snprintf(cmd, sizeof cmd, "redis-cli -s %s --pipe >/dev/null", sock);
    FILE *p = popen(cmd, "w");
    if (!p)
        return 1;
    const char *card[] = {"HSET", "ota:card:8949000000000000001", "keyset", "ks1", "class", "uicc"};
    resp(p, 6, card);
    for (unsigned i = 0; i < total; i++) {
        char id[16];
        snprintf(id, sizeof id, "b%u", i);
        const char *a[] = {"XADD",
                           "ota:jobs",
                           "*",
                           "id",
                           id,
                           "type",
                           "apdu",
                           "iccid",
                           "8949000000000000001",
                           "msisdn",
                           "491700000001",
                           "tar",
                           "B00010",
                           "apdus",
                           "00A40004023F00"};
        resp(p, 15, a);
    }
    if (pclose(p) != 0)
        return 1;

    loop = EV_DEFAULT;
    struct jobq_settings s = {0};
    s.host = sock;
    s.batch = 512;
    s.max_inflight = 4096;
    s.events_maxlen = 0;
    struct jobq_callbacks cb = {job_ready, NULL, NULL, NULL};
    double t0 = now_s();
    q = jobq_new(loop, &s, &cb, NULL);
    ev_timer to;
    ev_timer_init(&to, on_timeout, 120, 0);
    ev_timer_start(loop, &to);
    ev_run(loop, 0);
    double dt = now_s() - t0;
    jobq_free(q);
    printf("queue state machine: %u jobs received->submitted->delivered->confirmed in %.2f s: "
           "%.0f jobs/s (%.0f script calls/s), %u errors\n",
           confirmed, dt, confirmed / dt, 4 * confirmed / dt, errors);
    if (getenv("BENCH_STATS")) {
        snprintf(cmd, sizeof cmd,
                 "redis-cli -s %s info commandstats | grep -E \"fcall|xreadgroup|xadd|hset|hmget\"",
                 sock);
        if (system(cmd) != 0)
            fprintf(stderr, "no stats\n");
    }
    kill(rp, SIGTERM);
    waitpid(rp, NULL, 0);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return confirmed == total && errors == 0 ? 0 : 1;
}
