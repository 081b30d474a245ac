// libsystemd's readiness protocol and journal API, imported into Swift as module CSystemd.
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
