// libpq imports cleanly: no variadic functions or macros are needed from it.
#include <libpq-fe.h>
