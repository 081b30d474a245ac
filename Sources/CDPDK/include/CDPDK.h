#ifndef CDPDK_H
#define CDPDK_H

// The few DPDK calls infra-p4-dpdk makes, behind plain C types. Swift never sees DPDK's
// headers: they need -march and experimental-API flags and are full of inline SIMD code that
// Swift's C importer has no use for. Every function that can fail returns 0 on success or a
// negative errno and writes a message into `err` (size `err_size`).

#include <stddef.h>
#include <stdint.h>

typedef struct cdpdk_pipeline cdpdk_pipeline;

/// rte_eal_init with these arguments (argv[0] is the program name). Once per process.
int cdpdk_eal_init(int argc, char **argv, char *err, size_t err_size);

/// Configures and starts an ethdev (one rx and one tx queue, promiscuous, the given MTU) with
/// a packet pool shared by all ports; the pipeline's I/O spec then names it.
int cdpdk_port_start(const char *device_name, uint16_t mtu, char *err, size_t err_size);

/// Creates an empty ring (single producer/consumer) that pads the pipeline's input ports to
/// a power of two, which the SWX pipeline requires; nothing is ever enqueued on it.
int cdpdk_padding_ring_create(const char *name, char *err, size_t err_size);

/// rte_swx_pipeline_codegen: spec file in, C file out. On a spec error, `err` has the line.
int cdpdk_codegen(const char *spec_path, const char *c_path, char *err, size_t err_size);

/// rte_swx_pipeline_build_from_lib plus the control object; NULL on failure.
cdpdk_pipeline *cdpdk_pipeline_build(const char *name, const char *library_path, const char *iospec_path,
                                     char *err, size_t err_size);
/// Stops the loop if it runs and frees the pipeline and its control object.
void cdpdk_pipeline_free(cdpdk_pipeline *pipeline);

/// Starts the dedicated thread running rte_swx_pipeline_run. When no packet arrived for a
/// while it sleeps up to `idle_sleep_max_us` between polls (0 = busy poll).
int cdpdk_pipeline_start(cdpdk_pipeline *pipeline, uint32_t idle_sleep_max_us, char *err, size_t err_size);
/// Stops and joins the thread (idempotent).
void cdpdk_pipeline_stop(cdpdk_pipeline *pipeline);

enum cdpdk_entry_op { CDPDK_ENTRY_ADD = 0, CDPDK_ENTRY_DELETE = 1, CDPDK_ENTRY_DEFAULT = 2 };

/// Stages a table entry in DPDK's text form ("match ... [priority N] action NAME ARG VAL ...").
int cdpdk_table_entry(cdpdk_pipeline *pipeline, const char *table, const char *text, int op,
                      char *err, size_t err_size);
/// Stages a learner table's default entry ("action NAME ARG VAL ...").
int cdpdk_learner_default_entry(cdpdk_pipeline *pipeline, const char *learner, const char *text,
                                char *err, size_t err_size);
/// Sets one of a learner's timeout values (seconds); takes effect at once, no commit.
int cdpdk_learner_timeout_set(cdpdk_pipeline *pipeline, const char *learner, uint32_t timeout_id,
                              uint32_t seconds, char *err, size_t err_size);

/// Selector groups; the group id is chosen by DPDK.
int cdpdk_selector_group_add(cdpdk_pipeline *pipeline, const char *selector, uint32_t *group_id,
                             char *err, size_t err_size);
int cdpdk_selector_group_delete(cdpdk_pipeline *pipeline, const char *selector, uint32_t group_id,
                                char *err, size_t err_size);
int cdpdk_selector_member_add(cdpdk_pipeline *pipeline, const char *selector, uint32_t group_id,
                              uint32_t member_id, uint32_t weight, char *err, size_t err_size);
int cdpdk_selector_member_delete(cdpdk_pipeline *pipeline, const char *selector, uint32_t group_id,
                                 uint32_t member_id, char *err, size_t err_size);

/// Commits everything staged, or on failure aborts it all (the pipeline keeps its tables).
int cdpdk_commit(cdpdk_pipeline *pipeline, char *err, size_t err_size);
/// Drops everything staged.
void cdpdk_abort(cdpdk_pipeline *pipeline);

int cdpdk_regarray_read(cdpdk_pipeline *pipeline, const char *regarray, uint32_t index, uint64_t *value);
int cdpdk_regarray_write(cdpdk_pipeline *pipeline, const char *regarray, uint32_t index, uint64_t value);

/// Packets and bytes through one pipeline port.
int cdpdk_port_in_stats(cdpdk_pipeline *pipeline, uint32_t port, uint64_t *packets, uint64_t *bytes);
int cdpdk_port_out_stats(cdpdk_pipeline *pipeline, uint32_t port, uint64_t *packets, uint64_t *bytes);

#endif
