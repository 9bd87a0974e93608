#ifdef __linux__
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#endif
#include <errno.h>
#include "CPollShims.h"

#ifdef __linux__
int cpoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int cpoll_ctl(int epfd, int operation, int fd, uint32_t events, uint64_t data) {
    struct epoll_event event = { .events = events, .data.u64 = data };
    return epoll_ctl(epfd, operation, fd, &event);
}

int cpoll_wait(int epfd, cpoll_event *events, int maxEvents, int timeoutMilliseconds) {
    struct epoll_event raw[256];
    if (maxEvents > 256) maxEvents = 256;
    int count = epoll_wait(epfd, raw, maxEvents, timeoutMilliseconds);
    for (int i = 0; i < count; i++) {
        events[i].events = raw[i].events;
        events[i].data = raw[i].data.u64;
    }
    return count;
}

int cpoll_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

int cpoll_accept(int fd) { return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC); }

int cpoll_address(int fd, int peer, char *host, size_t hostLength, int *port) {
    struct sockaddr_storage storage;
    socklen_t length = sizeof(storage);
    int result = peer ? getpeername(fd, (struct sockaddr *)&storage, &length) : getsockname(fd, (struct sockaddr *)&storage, &length);
    if (result != 0) return -1;
    if (storage.ss_family == AF_INET) {
        struct sockaddr_in *address = (struct sockaddr_in *)&storage;
        if (inet_ntop(AF_INET, &address->sin_addr, host, (socklen_t)hostLength) == NULL) return -1;
        *port = ntohs(address->sin_port);
        return 0;
    }
    if (storage.ss_family == AF_INET6) {
        struct sockaddr_in6 *address = (struct sockaddr_in6 *)&storage;
        if (inet_ntop(AF_INET6, &address->sin6_addr, host, (socklen_t)hostLength) == NULL) return -1;
        *port = ntohs(address->sin6_port);
        return 0;
    }
    errno = EAFNOSUPPORT;
    return -1;
}

void cpoll_name_thread(const char *name) {
    // Linux keeps at most 15 characters and refuses longer names (ERANGE): cut them.
    char shortName[16];
    size_t i = 0;
    for (; i < sizeof(shortName) - 1 && name[i] != 0; i++) shortName[i] = name[i];
    shortName[i] = 0;
    pthread_setname_np(pthread_self(), shortName);
}
#else
int cpoll_create(void) { errno = ENOSYS; return -1; }
int cpoll_ctl(int epfd, int operation, int fd, uint32_t events, uint64_t data) { errno = ENOSYS; return -1; }
int cpoll_wait(int epfd, cpoll_event *events, int maxEvents, int timeoutMilliseconds) { errno = ENOSYS; return -1; }
int cpoll_eventfd(void) { errno = ENOSYS; return -1; }
int cpoll_accept(int fd) { errno = ENOSYS; return -1; }
int cpoll_address(int fd, int peer, char *host, size_t hostLength, int *port) { errno = ENOSYS; return -1; }
void cpoll_name_thread(const char *name) {}
#endif
