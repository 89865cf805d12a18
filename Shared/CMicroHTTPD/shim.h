#include <stdarg.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <microhttpd.h>
// MHD_start_daemon and MHD_get_daemon_info are variadic, which Swift cannot call: options go in as an MHD_OPTION_ARRAY.
static inline struct MHD_Daemon *
cshim_mhd_start(unsigned int flags, uint16_t port, MHD_AccessHandlerCallback dh, void *dh_cls,
                const struct MHD_OptionItem *options)
{ return MHD_start_daemon(flags, port, NULL, NULL, dh, dh_cls, MHD_OPTION_ARRAY, options, MHD_OPTION_END); }

static inline uint16_t cshim_mhd_bound_port(struct MHD_Daemon *d)
{ const union MHD_DaemonInfo *i = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT); return i ? i->port : 0; }

// MHD_get_connection_info is variadic: the socket of a connection, for closing one whose headers are overdue.
static inline int cshim_mhd_connection_fd(struct MHD_Connection *c)
{ const union MHD_ConnectionInfo *i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD); return i ? (int) i->connect_fd : -1; }
