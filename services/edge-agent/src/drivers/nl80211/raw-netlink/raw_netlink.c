/*
 * A raw netlink socket for Node.js (netlink(7), Linux uapi linux/netlink.h), the one
 * native piece of the nl80211 driver: the messages themselves are built and parsed in
 * TypeScript (../netlink.ts, ../netlink-socket.ts).
 *
 *   new RawNetlinkSocket(protocol, recvBufferSize, sendBufferSize, onData, onError)
 *     onData(datagrams: Buffer[], overruns: number, dropped: number)
 *     onError(errno: number, syscall: string, stopped: boolean)
 *   .send(bytes) -> 0 or an errno     (to the kernel; netlink sends do not block)
 *   .addMembership(group)             (throws an Error with errno/code/syscall)
 *   .port()                           (the port id the kernel gave the socket)
 *   .close()
 *
 * Why not the npm package `netlink`: when a netlink socket's receive queue overflows (an
 * Authentication flood on the air is enough: every frame is a notification), the kernel
 * sets ENOBUFS as the socket's pending error, epoll reports EPOLLERR and libuv calls the
 * poll callback with UV_EBADF. netlink 0.3.0 then built an Error whose `syscall` was NULL,
 * node-addon-api threw a C++ exception for it inside a libuv callback, and the process
 * ended in std::terminate ("Error in native callback"); had it not thrown, it would have
 * closed the socket. Here an overflow is what it is — messages the kernel dropped — and is
 * counted: the pending error is read (SO_ERROR clears it), polling goes on, and `onData`
 * is told how many overflows it missed.
 *
 * Plain C against node_api.h: no C++ exceptions. A JavaScript exception that escapes a
 * callback (the TypeScript side catches its own) goes to Node's uncaught-exception
 * handling, as for Node's own handles, never to std::terminate.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>

#include <node_api.h>
#include <uv.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* Largest datagram read; the kernel's netlink messages stay well below (dumps: 32 KiB). */
#define RECV_BUFFER_SIZE 65536
/* Datagrams read per poll callback: a flood cannot starve the rest of the event loop. */
#define READS_PER_CALLBACK 64
/* EPOLLERR reports in a row that found no pending error: the socket is broken, stop. */
#define MAX_EMPTY_ERRORS 1000

typedef struct {
  uv_poll_t poll; /* first member: the poll callback casts the handle back */
  napi_env env;
  napi_ref self;     /* strong while open: the object outlives its socket */
  napi_ref on_data;
  napi_ref on_error;
  napi_async_context async;
  int fd;
  uint32_t port;
  int open;
  int polling;
  int handle_closed; /* uv_close finished (or the handle never started) */
  int finalized;     /* the JavaScript object was collected */
  unsigned empty_errors;
  unsigned char* buf;
} RawSocket;

static void raw_free(RawSocket* s) {
  free(s->buf);
  free(s);
}

static void on_handle_closed(uv_handle_t* h) {
  RawSocket* s = (RawSocket*)h;
  s->handle_closed = 1;
  if (s->finalized) raw_free(s);
}

/* Stops polling, closes the descriptor and lets go of the callbacks; idempotent. */
static void raw_close(RawSocket* s) {
  if (!s->open) return;
  s->open = 0;
  s->polling = 0;
  /* uv_close stops the watcher (epoll_ctl DEL) at once; only then may the fd go. */
  uv_close((uv_handle_t*)&s->poll, on_handle_closed);
  close(s->fd);
  s->fd = -1;
  napi_env env = s->env;
  napi_delete_reference(env, s->on_data);
  napi_delete_reference(env, s->on_error);
  napi_async_destroy(env, s->async);
  napi_delete_reference(env, s->self);
  s->on_data = s->on_error = s->self = NULL;
  s->async = NULL;
}

static void cleanup_hook(void* arg) {
  raw_close((RawSocket*)arg);
}

static void finalize(napi_env env, void* data, void* hint) {
  (void)hint;
  RawSocket* s = data;
  napi_remove_env_cleanup_hook(env, cleanup_hook, s);
  raw_close(s);
  s->finalized = 1;
  if (s->handle_closed) raw_free(s);
}

/* An Error "syscall: strerror" with errno (positive), code (EPERM, ...) and syscall. */
static napi_value errno_error(napi_env env, int err, const char* syscall) {
  char msg[160], name[32];
  uv_err_name_r(-err, name, sizeof name);
  snprintf(msg, sizeof msg, "%s: %s", syscall, strerror(err));
  napi_value text, code, error, v;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, text, &error);
  napi_create_int32(env, err, &v);
  napi_set_named_property(env, error, "errno", v);
  napi_set_named_property(env, error, "code", code);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, error, "syscall", v);
  return error;
}

static void throw_errno(napi_env env, int err, const char* syscall) {
  napi_throw(env, errno_error(env, err, syscall));
}

/*
 * Calls a JavaScript callback from a libuv callback (microtasks and process.nextTick run
 * after it, as for Node's own handles). The TypeScript side catches its exceptions; one
 * that gets here anyway (or one thrown by a nextTick callback) is handed to Node's
 * uncaught-exception handling: the process reports it like any other, never silently.
 */
static void call_js(RawSocket* s, napi_ref fn_ref, size_t argc, napi_value* argv) {
  napi_env env = s->env;
  napi_value fn, self, result;
  if (napi_get_reference_value(env, fn_ref, &fn) != napi_ok || fn == NULL) return;
  if (napi_get_reference_value(env, s->self, &self) != napi_ok || self == NULL) return;
  napi_status st = napi_make_callback(env, s->async, self, fn, argc, argv, &result);
  if (st == napi_ok) return;
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) {
    napi_value exception;
    napi_get_and_clear_last_exception(env, &exception);
    napi_fatal_exception(env, exception);
  }
  /* Otherwise Node is shutting down (JavaScript can no longer run): nothing to report to. */
}

static void report_error(RawSocket* s, int err, const char* syscall, int stopped) {
  napi_value argv[3];
  napi_create_int32(s->env, err, &argv[0]);
  napi_create_string_utf8(s->env, syscall, NAPI_AUTO_LENGTH, &argv[1]);
  napi_get_boolean(s->env, stopped != 0, &argv[2]);
  call_js(s, s->on_error, 3, argv);
}

/* Polling cannot go on: says so and stops (the socket stays open until close()). */
static void stop_polling(RawSocket* s, int err, const char* syscall) {
  if (s->polling) uv_poll_stop(&s->poll);
  s->polling = 0;
  report_error(s, err, syscall, 1);
}

static void on_poll(uv_poll_t* handle, int status, int events);

/*
 * libuv reported EPOLLERR (status UV_EBADF) and stopped the watcher. On a netlink socket
 * the pending error is ENOBUFS: the receive queue overflowed and the kernel dropped
 * messages. Reading SO_ERROR clears it; polling starts again. Returns 0 to read on, or -1
 * when polling stopped.
 */
static int recover_from_poll_error(RawSocket* s, unsigned* overruns) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
    stop_polling(s, errno, "getsockopt");
    return -1;
  }
  if (err == ENOBUFS) {
    (*overruns)++;
    s->empty_errors = 0;
  } else if (err != 0) {
    report_error(s, err, "poll", 0);
    if (!s->open) return -1;
  } else if (++s->empty_errors > MAX_EMPTY_ERRORS) {
    stop_polling(s, EIO, "poll");
    return -1;
  }
  int r = uv_poll_start(&s->poll, UV_READABLE, on_poll);
  if (r != 0) {
    stop_polling(s, -r, "uv_poll_start");
    return -1;
  }
  return 0;
}

static void on_poll(uv_poll_t* handle, int status, int events) {
  (void)events;
  RawSocket* s = (RawSocket*)handle;
  if (!s->open) return;
  napi_env env = s->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;

  unsigned overruns = 0, dropped = 0;
  if (status < 0 && recover_from_poll_error(s, &overruns) != 0) {
    napi_close_handle_scope(env, scope);
    return;
  }

  napi_value list;
  napi_create_array(env, &list);
  uint32_t count = 0;
  int read_error = 0;
  for (int i = 0; i < READS_PER_CALLBACK && s->open; i++) {
    struct sockaddr_nl from;
    socklen_t from_len = sizeof from;
    memset(&from, 0, sizeof from);
    /* MSG_TRUNC: the datagram's real length even when it did not fit. */
    ssize_t n = recvfrom(s->fd, s->buf, RECV_BUFFER_SIZE, MSG_TRUNC | MSG_DONTWAIT, (struct sockaddr*)&from, &from_len);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      /* The pending overflow error, read before epoll saw it: the queue is still readable. */
      if (errno == ENOBUFS) {
        overruns++;
        continue;
      }
      read_error = errno;
      break;
    }
    /* Too long to have been read whole, or not from the kernel (port 0). */
    if ((size_t)n > RECV_BUFFER_SIZE || from.nl_pid != 0) {
      dropped++;
      continue;
    }
    napi_value b;
    void* unused;
    if (napi_create_buffer_copy(env, (size_t)n, s->buf, &unused, &b) != napi_ok) {
      dropped++;
      continue;
    }
    napi_set_element(env, list, count++, b);
    s->empty_errors = 0;
  }
  if (s->open && (count > 0 || overruns > 0 || dropped > 0)) {
    napi_value argv[3];
    argv[0] = list;
    napi_create_uint32(env, overruns, &argv[1]);
    napi_create_uint32(env, dropped, &argv[2]);
    call_js(s, s->on_data, 3, argv);
  }
  if (s->open && read_error != 0) report_error(s, read_error, "recvmsg", 0);
  napi_close_handle_scope(env, scope);
}

static int set_buffer(int fd, int force_opt, int opt, int size) {
  if (size <= 0) return 0;
  /* The FORCE variants (CAP_NET_ADMIN) are not capped by net.core.[rw]mem_max. */
  if (setsockopt(fd, SOL_SOCKET, force_opt, &size, sizeof size) == 0) return 0;
  return setsockopt(fd, SOL_SOCKET, opt, &size, sizeof size);
}

static napi_value construct(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5], self;
  napi_get_cb_info(env, info, &argc, argv, &self, NULL);
  int32_t protocol = 0, rcvbuf = 0, sndbuf = 0;
  napi_valuetype t3, t4;
  napi_typeof(env, argv[3], &t3);
  napi_typeof(env, argv[4], &t4);
  if (argc < 5 || napi_get_value_int32(env, argv[0], &protocol) != napi_ok || napi_get_value_int32(env, argv[1], &rcvbuf) != napi_ok ||
      napi_get_value_int32(env, argv[2], &sndbuf) != napi_ok || t3 != napi_function || t4 != napi_function) {
    napi_throw_type_error(env, NULL, "RawNetlinkSocket(protocol, recvBufferSize, sendBufferSize, onData, onError)");
    return NULL;
  }
  uv_loop_t* loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return NULL;

  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);
  if (fd < 0) {
    throw_errno(env, errno, "socket");
    return NULL;
  }
  struct sockaddr_nl addr;
  socklen_t addr_len = sizeof addr;
  memset(&addr, 0, sizeof addr);
  addr.nl_family = AF_NETLINK; /* nl_pid 0: the kernel picks a free port id */
  const char* failed = NULL;
  if (set_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF, rcvbuf) != 0) failed = "setsockopt(SO_RCVBUF)";
  else if (set_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, sndbuf) != 0) failed = "setsockopt(SO_SNDBUF)";
  else if (bind(fd, (struct sockaddr*)&addr, sizeof addr) != 0) failed = "bind";
  else if (getsockname(fd, (struct sockaddr*)&addr, &addr_len) != 0) failed = "getsockname";
  if (failed != NULL) {
    int err = errno;
    close(fd);
    throw_errno(env, err, failed);
    return NULL;
  }

  RawSocket* s = calloc(1, sizeof *s);
  unsigned char* buf = malloc(RECV_BUFFER_SIZE);
  if (s == NULL || buf == NULL) {
    free(s);
    free(buf);
    close(fd);
    throw_errno(env, ENOMEM, "malloc");
    return NULL;
  }
  s->env = env;
  s->fd = fd;
  s->buf = buf;
  s->port = addr.nl_pid;
  int r = uv_poll_init(loop, &s->poll, fd);
  if (r != 0) {
    close(fd);
    raw_free(s);
    throw_errno(env, -r, "uv_poll_init");
    return NULL;
  }
  r = uv_poll_start(&s->poll, UV_READABLE, on_poll);
  if (r != 0) {
    /* An initialised handle is freed through libuv, once closed. */
    s->finalized = 1;
    uv_close((uv_handle_t*)&s->poll, on_handle_closed);
    close(fd);
    throw_errno(env, -r, "uv_poll_start");
    return NULL;
  }
  s->open = 1;
  s->polling = 1;
  napi_value resource_name;
  napi_create_string_utf8(env, "airlock:RawNetlinkSocket", NAPI_AUTO_LENGTH, &resource_name);
  napi_async_init(env, self, resource_name, &s->async);
  napi_create_reference(env, argv[3], 1, &s->on_data);
  napi_create_reference(env, argv[4], 1, &s->on_error);
  napi_wrap(env, self, s, finalize, NULL, NULL);
  napi_create_reference(env, self, 1, &s->self);
  napi_add_env_cleanup_hook(env, cleanup_hook, s);
  return self;
}

static RawSocket* unwrap(napi_env env, napi_callback_info info, size_t* argc, napi_value* argv) {
  napi_value self;
  void* data = NULL;
  napi_get_cb_info(env, info, argc, argv, &self, NULL);
  if (napi_unwrap(env, self, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "not a RawNetlinkSocket");
    return NULL;
  }
  return data;
}

static napi_value send_msg(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  RawSocket* s = unwrap(env, info, &argc, argv);
  if (s == NULL) return NULL;
  void* data;
  size_t len;
  bool typed = false;
  napi_is_typedarray(env, argv[0], &typed);
  if (argc < 1 || !typed) {
    napi_throw_type_error(env, NULL, "send(bytes: Uint8Array)");
    return NULL;
  }
  napi_typedarray_type type;
  napi_value ab;
  size_t offset;
  napi_get_typedarray_info(env, argv[0], &type, &len, &data, &ab, &offset);
  if (type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "send(bytes: Uint8Array)");
    return NULL;
  }
  int err = 0;
  if (!s->open) {
    err = EBADF;
  } else {
    struct sockaddr_nl kernel;
    memset(&kernel, 0, sizeof kernel);
    kernel.nl_family = AF_NETLINK;
    ssize_t n;
    do n = sendto(s->fd, data, len, 0, (struct sockaddr*)&kernel, sizeof kernel);
    while (n < 0 && errno == EINTR);
    if (n < 0) err = errno;
  }
  napi_create_int32(env, err, &out);
  return out;
}

static napi_value add_membership(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  RawSocket* s = unwrap(env, info, &argc, argv);
  if (s == NULL) return NULL;
  uint32_t group;
  if (argc < 1 || napi_get_value_uint32(env, argv[0], &group) != napi_ok) {
    napi_throw_type_error(env, NULL, "addMembership(group: number)");
    return NULL;
  }
  if (!s->open) throw_errno(env, EBADF, "setsockopt(NETLINK_ADD_MEMBERSHIP)");
  else if (setsockopt(s->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) != 0) throw_errno(env, errno, "setsockopt(NETLINK_ADD_MEMBERSHIP)");
  return NULL;
}

static napi_value port(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  RawSocket* s = unwrap(env, info, &argc, NULL);
  if (s == NULL) return NULL;
  napi_value out;
  napi_create_uint32(env, s->port, &out);
  return out;
}

static napi_value close_socket(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  RawSocket* s = unwrap(env, info, &argc, NULL);
  if (s != NULL) {
    napi_remove_env_cleanup_hook(env, cleanup_hook, s);
    raw_close(s);
  }
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
    { "send", NULL, send_msg, NULL, NULL, NULL, napi_default_method, NULL },
    { "addMembership", NULL, add_membership, NULL, NULL, NULL, napi_default_method, NULL },
    { "port", NULL, port, NULL, NULL, NULL, napi_default_method, NULL },
    { "close", NULL, close_socket, NULL, NULL, NULL, napi_default_method, NULL },
  };
  napi_value cls;
  if (napi_define_class(env, "RawNetlinkSocket", NAPI_AUTO_LENGTH, construct, NULL, sizeof methods / sizeof methods[0], methods, &cls) != napi_ok) return NULL;
  napi_set_named_property(env, exports, "RawNetlinkSocket", cls);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
