#include "pgm_list.h"
#include <avr/pgmspace.h>

const char *pgmListItem(const char *list, uint8_t n) {
  while (n--) list += strlen_P(list) + 1;
  return list;
}
