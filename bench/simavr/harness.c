/*
 * The simavr side of bench/sim.bench.ts: Debian's libsimavr running the same
 * .elf as the project's board, an ATmega328P at 16 MHz, driven over stdin so the
 * bench can interleave it with the board in short chunks:
 *   feed <text>     bytes to USART0's input (a newline is appended)
 *   run <cycles>    run that many more cycles; replies "<cycle> <cpu ns> <state>"
 * CPU time is this thread's (CLOCK_THREAD_CPUTIME_ID) around avr_run() only.
 * Built by the bench into build/ (cc harness.c $(pkg-config --cflags --libs simavr)).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <simavr/sim_avr.h>
#include <simavr/sim_elf.h>
#include <simavr/sim_irq.h>
#include <simavr/avr_uart.h>

static long long thread_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s firmware.elf\n", argv[0]);
    return 64;
  }
  elf_firmware_t fw;
  memset(&fw, 0, sizeof fw);
  if (elf_read_firmware(argv[1], &fw) != 0) {
    fprintf(stderr, "cannot read %s\n", argv[1]);
    return 66;
  }
  avr_t *avr = avr_make_mcu_by_name("atmega328p");
  if (!avr) return 69;
  avr_init(avr);
  fw.frequency = 16000000;
  avr_load_firmware(avr, &fw);
  avr_irq_t *rx = avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_INPUT);
  /* No console echo of the firmware's output (stdout is the bench's), no usleep while polling. */
  uint32_t flags = 0;
  avr_ioctl(avr, AVR_IOCTL_UART_SET_FLAGS('0'), &flags);

  char line[256];
  while (fgets(line, sizeof line, stdin)) {
    if (strncmp(line, "feed ", 5) == 0) {
      for (const char *p = line + 5; *p && *p != '\n'; p++) avr_raise_irq(rx, (unsigned char)*p);
      avr_raise_irq(rx, '\n');
      puts("ok");
    } else if (strncmp(line, "run ", 4) == 0) {
      avr_cycle_count_t end = avr->cycle + strtoull(line + 4, NULL, 10);
      int state = avr->state;
      long long t0 = thread_ns();
      while (avr->cycle < end) {
        state = avr_run(avr);
        if (state == cpu_Done || state == cpu_Crashed) break;
      }
      long long ns = thread_ns() - t0;
      printf("%llu %lld %d\n", (unsigned long long)avr->cycle, ns, state);
    } else {
      puts("?");
    }
    fflush(stdout);
  }
  return 0;
}
