// Thin shim: exposes memfd_create, MFD_* and the F_ADD_SEALS/F_GET_SEALS/F_SEAL_* constants, and
// gettid (a thread's id, whose priority Linux sets per thread), which Glibc's Swift overlay hides
// behind _GNU_SOURCE. No logic here.
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
