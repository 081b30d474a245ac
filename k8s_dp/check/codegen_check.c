/*
 * codegen_check: does DPDK's SWX pipeline accept a p4c-dpdk spec?
 *
 * Feeds a DPDK pipeline specification (the .spec that p4c-dpdk emits) to
 * rte_swx_pipeline_codegen() of the installed librte_pipeline (Debian 12: DPDK 22.11),
 * which parses every struct, header, action, table, selector, learner and the whole
 * instruction list, and turns them into C. A refused construct comes back as the spec
 * line number and DPDK's message; this tool prints them and exits 1.
 *
 * Usage: codegen_check SPEC [OUT.c]
 *   SPEC   the pipeline spec to check
 *   OUT.c  where to write the generated C (default: a temporary file, removed afterwards)
 *
 * Exit status: 0 accepted, 1 refused by DPDK, 2 usage or I/O error.
 *
 * No EAL, no hugepages, no devices: code generation is pure parsing. Build with
 *   gcc $(pkg-config --cflags libdpdk) -DALLOW_EXPERIMENTAL_API codegen_check.c \
 *       -o codegen_check -lrte_pipeline -lrte_eal
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_swx_pipeline.h>
#include <rte_version.h>

/* Prints the offending spec line so the failure can be read without opening the file. */
static void print_spec_line(const char *path, uint32_t wanted)
{
    FILE *f = fopen(path, "r");
    char buf[4096];
    uint32_t line = 0;

    if (f == NULL || wanted == 0)
        goto out;
    while (fgets(buf, sizeof(buf), f) != NULL) {
        size_t n = strlen(buf);
        int complete = n > 0 && buf[n - 1] == '\n';

        if (line + 1 == wanted) {
            if (complete)
                buf[n - 1] = '\0';
            fprintf(stderr, "  %u | %s\n", wanted, buf);
            break;
        }
        if (complete)
            line++;
    }
out:
    if (f != NULL)
        fclose(f);
}

/* Counts lines of a stream that has just been written (rewinds it). */
static long count_lines(FILE *f)
{
    long lines = 0;
    int c;

    rewind(f);
    while ((c = fgetc(f)) != EOF)
        if (c == '\n')
            lines++;
    return lines;
}

int main(int argc, char **argv)
{
    const char *spec_path;
    FILE *spec, *code;
    uint32_t err_line = 0;
    const char *err_msg = NULL;
    long spec_lines, code_lines;
    int status;

    if (argc < 2 || argc > 3 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fprintf(stderr, "usage: %s SPEC [OUT.c]\n", argv[0]);
        return 2;
    }
    spec_path = argv[1];

    spec = fopen(spec_path, "r");
    if (spec == NULL) {
        fprintf(stderr, "codegen_check: cannot open %s: %s\n", spec_path, strerror(errno));
        return 2;
    }
    code = argc == 3 ? fopen(argv[2], "w+") : tmpfile();
    if (code == NULL) {
        fprintf(stderr, "codegen_check: cannot create the C output: %s\n", strerror(errno));
        fclose(spec);
        return 2;
    }

    status = rte_swx_pipeline_codegen(spec, code, &err_line, &err_msg);
    if (status != 0) {
        fprintf(stderr, "%s:%u: DPDK refused the spec: %s (status %d)\n", spec_path, err_line,
                err_msg != NULL ? err_msg : "no message", status);
        if (err_line == 0)
            fprintf(stderr, "  (no line: DPDK found the error after parsing, while translating the "
                            "instructions or checking the whole pipeline)\n");
        print_spec_line(spec_path, err_line);
        fclose(spec);
        fclose(code);
        return 1;
    }

    fflush(code);
    spec_lines = count_lines(spec);
    code_lines = count_lines(code);
    fclose(spec);
    fclose(code);
    printf("%s: accepted by rte_swx_pipeline_codegen (%s): %ld spec lines -> %ld lines of C\n",
           spec_path, rte_version(), spec_lines, code_lines);
    return 0;
}
