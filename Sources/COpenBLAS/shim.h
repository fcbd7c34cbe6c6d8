// Thin shim: OpenBLAS's CBLAS header from libopenblas-dev. No logic here.
#include <cblas.h>
