#ifndef IOTHUB_ALLOCATION_COUNTER_H
#define IOTHUB_ALLOCATION_COUNTER_H

/// Counts heap allocations of the process this target is linked into, by defining malloc and friends
/// (the executable's definitions interpose glibc's) and forwarding to glibc's implementations.
/// Link it only into benchmark executables, never into a library product.

/// Sets the counters to zero.
void iothub_allocation_counter_reset(void);
/// Allocations (malloc, calloc, realloc of NULL, posix_memalign, aligned_alloc, memalign) since the reset.
long iothub_allocation_counter_allocations(void);
/// Frees of non-NULL pointers since the reset.
long iothub_allocation_counter_frees(void);

#endif
