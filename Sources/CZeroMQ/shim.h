// Thin shim: libzmq from libzmq3-dev. No logic here.
#include <zmq.h>
