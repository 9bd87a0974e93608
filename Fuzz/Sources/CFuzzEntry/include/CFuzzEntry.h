#ifndef C_FUZZ_ENTRY_H
#define C_FUZZ_ENTRY_H
// Intentionally empty: the entry point lives in FuzzEntry.c.
#endif
