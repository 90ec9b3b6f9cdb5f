// Name tables kept as one flash string of NUL-separated items ("on\0off\0"),
// indexed like the enum they name: one table instead of a switch over
// separate F() strings.
#pragma once
#include <stdint.h>

// The n-th item (from 0) of list, in flash; n must be below the item count.
const char *pgmListItem(const char *list, uint8_t n);
