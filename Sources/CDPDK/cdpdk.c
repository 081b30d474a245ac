#define _GNU_SOURCE
#include "CDPDK.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_swx_ctl.h>
#include <rte_swx_pipeline.h>

struct cdpdk_pipeline {
    struct rte_swx_pipeline *p;
    struct rte_swx_ctl_pipeline *ctl;
    uint32_t n_ports_in;
    pthread_t thread;
    int running;
    atomic_int stop;
    uint32_t idle_sleep_max_us;
};

static struct rte_mempool *packet_pool;

#define FAIL(code, ...) do { snprintf(err, err_size, __VA_ARGS__); return (code); } while (0)

int cdpdk_eal_init(int argc, char **argv, char *err, size_t err_size) {
    int consumed = rte_eal_init(argc, argv);
    if (consumed < 0) FAIL(-rte_errno, "rte_eal_init failed: %s", rte_strerror(rte_errno));
    return 0;
}

int cdpdk_port_start(const char *device_name, uint16_t mtu, char *err, size_t err_size) {
    if (!packet_pool) {
        // 8191 buffers: enough for every queue's ring plus bursts in flight on a few ports.
        packet_pool = rte_pktmbuf_pool_create("infra_packets", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
        if (!packet_pool) FAIL(-ENOMEM, "cannot create the packet pool: %s", rte_strerror(rte_errno));
    }
    uint16_t port_id;
    if (rte_eth_dev_get_port_by_name(device_name, &port_id))
        FAIL(-ENODEV, "no DPDK device named %s (is its --vdev in the EAL arguments?)", device_name);
    struct rte_eth_conf conf;
    memset(&conf, 0, sizeof(conf));
    conf.rxmode.mtu = mtu;
    int status = rte_eth_dev_configure(port_id, 1, 1, &conf);
    if (status) FAIL(status, "configuring %s failed: %s", device_name, rte_strerror(-status));
    int socket = rte_eth_dev_socket_id(port_id);
    if (socket < 0) socket = 0;
    status = rte_eth_rx_queue_setup(port_id, 0, 256, (unsigned)socket, NULL, packet_pool);
    if (status) FAIL(status, "rx queue of %s: %s", device_name, rte_strerror(-status));
    status = rte_eth_tx_queue_setup(port_id, 0, 256, (unsigned)socket, NULL);
    if (status) FAIL(status, "tx queue of %s: %s", device_name, rte_strerror(-status));
    status = rte_eth_dev_start(port_id);
    if (status) FAIL(status, "starting %s failed: %s", device_name, rte_strerror(-status));
    // Frames to pod MACs are not addressed to the af_packet interface itself.
    rte_eth_promiscuous_enable(port_id);
    return 0;
}

int cdpdk_padding_ring_create(const char *name, char *err, size_t err_size) {
    if (rte_ring_lookup(name)) return 0;
    struct rte_ring *ring = rte_ring_create(name, 16, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (!ring) FAIL(-rte_errno, "cannot create ring %s: %s", name, rte_strerror(rte_errno));
    return 0;
}

int cdpdk_codegen(const char *spec_path, const char *c_path, char *err, size_t err_size) {
    FILE *spec = fopen(spec_path, "r");
    if (!spec) FAIL(-errno, "cannot open %s: %s", spec_path, strerror(errno));
    FILE *code = fopen(c_path, "w");
    if (!code) {
        int e = errno;
        fclose(spec);
        FAIL(-e, "cannot create %s: %s", c_path, strerror(e));
    }
    uint32_t line = 0;
    const char *message = NULL;
    int status = rte_swx_pipeline_codegen(spec, code, &line, &message);
    fclose(spec);
    fclose(code);
    if (status) FAIL(status < 0 ? status : -EINVAL, "spec line %u: %s", line, message ? message : "refused");
    return 0;
}

cdpdk_pipeline *cdpdk_pipeline_build(const char *name, const char *library_path, const char *iospec_path,
                                     char *err, size_t err_size) {
    FILE *iospec = fopen(iospec_path, "r");
    if (!iospec) {
        snprintf(err, err_size, "cannot open %s: %s", iospec_path, strerror(errno));
        return NULL;
    }
    struct rte_swx_pipeline *p = NULL;
    int status = rte_swx_pipeline_build_from_lib(&p, name, library_path, iospec, (int)rte_socket_id());
    fclose(iospec);
    if (status || !p) {
        snprintf(err, err_size, "building the pipeline from %s failed: %s (DPDK's log above says why)", library_path, strerror(-status));
        return NULL;
    }
    struct rte_swx_ctl_pipeline *ctl = rte_swx_ctl_pipeline_create(p);
    if (!ctl) {
        rte_swx_pipeline_free(p);
        snprintf(err, err_size, "creating the pipeline's control object failed");
        return NULL;
    }
    struct rte_swx_ctl_pipeline_info info;
    rte_swx_ctl_pipeline_info_get(p, &info);
    cdpdk_pipeline *pipeline = calloc(1, sizeof(*pipeline));
    if (!pipeline) {
        rte_swx_ctl_pipeline_free(ctl);
        rte_swx_pipeline_free(p);
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    pipeline->p = p;
    pipeline->ctl = ctl;
    pipeline->n_ports_in = info.n_ports_in;
    return pipeline;
}

void cdpdk_pipeline_free(cdpdk_pipeline *pipeline) {
    if (!pipeline) return;
    cdpdk_pipeline_stop(pipeline);
    rte_swx_ctl_pipeline_free(pipeline->ctl);
    rte_swx_pipeline_free(pipeline->p);
    free(pipeline);
}

static uint64_t packets_in(cdpdk_pipeline *pipeline) {
    uint64_t total = 0;
    for (uint32_t port = 0; port < pipeline->n_ports_in; port++) {
        struct rte_swx_port_in_stats stats;
        memset(&stats, 0, sizeof(stats));
        rte_swx_ctl_pipeline_port_in_stats_read(pipeline->p, port, &stats);
        total += stats.n_pkts;
    }
    return total;
}

// The data plane. It polls at full speed while packets come; once the ports are quiet it
// sleeps between polls, doubling up to the configured maximum, so an idle target does not
// hold a core on a small machine.
static void *run_loop(void *argument) {
    cdpdk_pipeline *pipeline = argument;
    uint64_t seen = packets_in(pipeline);
    uint32_t sleep_us = 0;
    while (!atomic_load_explicit(&pipeline->stop, memory_order_relaxed)) {
        rte_swx_pipeline_run(pipeline->p, 64);
        if (!pipeline->idle_sleep_max_us) continue;
        uint64_t now = packets_in(pipeline);
        if (now != seen) {
            seen = now;
            sleep_us = 0;
            continue;
        }
        sleep_us = sleep_us ? sleep_us * 2 : 1;
        if (sleep_us > pipeline->idle_sleep_max_us) sleep_us = pipeline->idle_sleep_max_us;
        struct timespec pause = { .tv_sec = 0, .tv_nsec = (long)sleep_us * 1000 };
        nanosleep(&pause, NULL);
    }
    rte_swx_pipeline_flush(pipeline->p);
    return NULL;
}

int cdpdk_pipeline_start(cdpdk_pipeline *pipeline, uint32_t idle_sleep_max_us, char *err, size_t err_size) {
    if (pipeline->running) return 0;
    pipeline->idle_sleep_max_us = idle_sleep_max_us;
    atomic_store(&pipeline->stop, 0);
    int status = pthread_create(&pipeline->thread, NULL, run_loop, pipeline);
    if (status) FAIL(-status, "cannot start the pipeline thread: %s", strerror(status));
    pthread_setname_np(pipeline->thread, "swx-pipeline");
    pipeline->running = 1;
    return 0;
}

void cdpdk_pipeline_stop(cdpdk_pipeline *pipeline) {
    if (!pipeline->running) return;
    atomic_store(&pipeline->stop, 1);
    pthread_join(pipeline->thread, NULL);
    pipeline->running = 0;
}

// rte_swx_ctl copies an entry it is given; the parsed one is ours to free.
static void entry_free(struct rte_swx_table_entry *entry) {
    if (!entry) return;
    free(entry->key);
    free(entry->key_mask);
    free(entry->action_data);
    free(entry);
}

int cdpdk_table_entry(cdpdk_pipeline *pipeline, const char *table, const char *text, int op,
                      char *err, size_t err_size) {
    struct rte_swx_table_entry *entry = rte_swx_ctl_pipeline_table_entry_read(pipeline->ctl, table, text, NULL);
    if (!entry) FAIL(-EINVAL, "table %s refuses the entry \"%s\"", table, text);
    int status;
    switch (op) {
    case CDPDK_ENTRY_ADD: status = rte_swx_ctl_pipeline_table_entry_add(pipeline->ctl, table, entry); break;
    case CDPDK_ENTRY_DELETE: status = rte_swx_ctl_pipeline_table_entry_delete(pipeline->ctl, table, entry); break;
    default: status = rte_swx_ctl_pipeline_table_default_entry_add(pipeline->ctl, table, entry); break;
    }
    entry_free(entry);
    if (status) FAIL(status, "table %s: %s of \"%s\" failed: %s", table,
                     op == CDPDK_ENTRY_ADD ? "add" : op == CDPDK_ENTRY_DELETE ? "delete" : "default entry",
                     text, strerror(-status));
    return 0;
}

int cdpdk_learner_default_entry(cdpdk_pipeline *pipeline, const char *learner, const char *text,
                                char *err, size_t err_size) {
    struct rte_swx_table_entry *entry = rte_swx_ctl_pipeline_learner_default_entry_read(pipeline->ctl, learner, text, NULL);
    if (!entry) FAIL(-EINVAL, "learner %s refuses the default entry \"%s\"", learner, text);
    int status = rte_swx_ctl_pipeline_learner_default_entry_add(pipeline->ctl, learner, entry);
    entry_free(entry);
    if (status) FAIL(status, "learner %s: default entry \"%s\" failed: %s", learner, text, strerror(-status));
    return 0;
}

int cdpdk_learner_timeout_set(cdpdk_pipeline *pipeline, const char *learner, uint32_t timeout_id,
                              uint32_t seconds, char *err, size_t err_size) {
    struct rte_swx_ctl_pipeline_info info;
    rte_swx_ctl_pipeline_info_get(pipeline->p, &info);
    for (uint32_t id = 0; id < info.n_learners; id++) {
        struct rte_swx_ctl_learner_info learner_info;
        if (rte_swx_ctl_learner_info_get(pipeline->p, id, &learner_info)) continue;
        if (strcmp(learner_info.name, learner)) continue;
        int status = rte_swx_ctl_pipeline_learner_timeout_set(pipeline->p, id, timeout_id, seconds);
        if (status) FAIL(status, "learner %s: timeout %u = %u s refused: %s", learner, timeout_id, seconds, strerror(-status));
        return 0;
    }
    FAIL(-ENOENT, "the pipeline has no learner %s", learner);
}

int cdpdk_selector_group_add(cdpdk_pipeline *pipeline, const char *selector, uint32_t *group_id,
                             char *err, size_t err_size) {
    int status = rte_swx_ctl_pipeline_selector_group_add(pipeline->ctl, selector, group_id);
    if (status) FAIL(status, "selector %s: no group added: %s", selector, strerror(-status));
    return 0;
}

int cdpdk_selector_group_delete(cdpdk_pipeline *pipeline, const char *selector, uint32_t group_id,
                                char *err, size_t err_size) {
    int status = rte_swx_ctl_pipeline_selector_group_delete(pipeline->ctl, selector, group_id);
    if (status) FAIL(status, "selector %s: deleting group %u failed: %s", selector, group_id, strerror(-status));
    return 0;
}

int cdpdk_selector_member_add(cdpdk_pipeline *pipeline, const char *selector, uint32_t group_id,
                              uint32_t member_id, uint32_t weight, char *err, size_t err_size) {
    int status = rte_swx_ctl_pipeline_selector_group_member_add(pipeline->ctl, selector, group_id, member_id, weight);
    if (status) FAIL(status, "selector %s: adding member %u (weight %u) to group %u failed: %s", selector, member_id, weight, group_id, strerror(-status));
    return 0;
}

int cdpdk_selector_member_delete(cdpdk_pipeline *pipeline, const char *selector, uint32_t group_id,
                                 uint32_t member_id, char *err, size_t err_size) {
    int status = rte_swx_ctl_pipeline_selector_group_member_delete(pipeline->ctl, selector, group_id, member_id);
    if (status) FAIL(status, "selector %s: removing member %u from group %u failed: %s", selector, member_id, group_id, strerror(-status));
    return 0;
}

int cdpdk_commit(cdpdk_pipeline *pipeline, char *err, size_t err_size) {
    int status = rte_swx_ctl_pipeline_commit(pipeline->ctl, 1);
    if (status) FAIL(status, "commit failed and was aborted: %s", strerror(-status));
    return 0;
}

void cdpdk_abort(cdpdk_pipeline *pipeline) { rte_swx_ctl_pipeline_abort(pipeline->ctl); }

int cdpdk_regarray_read(cdpdk_pipeline *pipeline, const char *regarray, uint32_t index, uint64_t *value) {
    return rte_swx_ctl_pipeline_regarray_read(pipeline->p, regarray, index, value);
}

int cdpdk_regarray_write(cdpdk_pipeline *pipeline, const char *regarray, uint32_t index, uint64_t value) {
    return rte_swx_ctl_pipeline_regarray_write(pipeline->p, regarray, index, value);
}

int cdpdk_port_in_stats(cdpdk_pipeline *pipeline, uint32_t port, uint64_t *packets, uint64_t *bytes) {
    struct rte_swx_port_in_stats stats;
    memset(&stats, 0, sizeof(stats));
    int status = rte_swx_ctl_pipeline_port_in_stats_read(pipeline->p, port, &stats);
    *packets = stats.n_pkts;
    *bytes = stats.n_bytes;
    return status;
}

int cdpdk_port_out_stats(cdpdk_pipeline *pipeline, uint32_t port, uint64_t *packets, uint64_t *bytes) {
    struct rte_swx_port_out_stats stats;
    memset(&stats, 0, sizeof(stats));
    int status = rte_swx_ctl_pipeline_port_out_stats_read(pipeline->p, port, &stats);
    *packets = stats.n_pkts;
    *bytes = stats.n_bytes;
    return status;
}
