#ifndef CPOLLSHIMS_H
#define CPOLLSHIMS_H

#include <stddef.h>
#include <stdint.h>

// Small wrappers for the poll transport (MQTTServer's PollLoop) over Linux calls that Swift's Glibc module
// does not expose (epoll, eventfd, accept4 need _GNU_SOURCE or are missing) or makes awkward (the packed
// epoll_event, sockaddr unions). Every call returns -1 with errno on failure, as the call it wraps.

/// An epoll event, unpacked.
typedef struct {
    uint32_t events;
    uint64_t data;
} cpoll_event;

enum { CPOLL_ADD = 1, CPOLL_DEL = 2, CPOLL_MOD = 3 };

/// epoll_create1(EPOLL_CLOEXEC).
int cpoll_create(void);
/// epoll_ctl with the event's data as a 64-bit number.
int cpoll_ctl(int epfd, int operation, int fd, uint32_t events, uint64_t data);
/// epoll_wait into at most 256 unpacked events.
int cpoll_wait(int epfd, cpoll_event *events, int maxEvents, int timeoutMilliseconds);
/// eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC).
int cpoll_eventfd(void);
/// accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC).
int cpoll_accept(int fd);
/// The numeric host and port of a socket's peer (`peer` != 0) or local address.
int cpoll_address(int fd, int peer, char *host, size_t hostLength, int *port);
/// Names the calling thread (at most 15 characters are kept).
void cpoll_name_thread(const char *name);

#endif
