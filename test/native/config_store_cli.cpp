// Native driver for firmware/src/config.cpp (the settings store) against an
// EEPROM model that can lose power in the middle of a save: after a chosen
// number of byte writes the byte being written is left old, new or garbage and
// the "board" loses power (RAM too), then boots again. Commands (argv):
//   cuts SEED COUNT [wrap]   COUNT power cuts at random points of random saves
//   wear SECONDS RATE        a host sending RATE C SET/s, each a new value
//   resetloop SECONDS        a host resetting the board (RAM kept) before every C SET
// Prints one summary line of key=value pairs.
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "eeprom_io.h"

void configRamLost(uint8_t fill);

constexpr uint16_t EEPROM_BYTES = 1024;
static uint8_t ee[EEPROM_BYTES];
static uint32_t cellWrites[EEPROM_BYTES];
static long budget = -1;  // byte writes until the power cut; -1: none
static uint64_t rngState;

static uint32_t rnd(uint32_t n) {
  rngState ^= rngState << 13;
  rngState ^= rngState >> 7;
  rngState ^= rngState << 17;
  return static_cast<uint32_t>(rngState % n);
}

struct PowerCut {};

uint8_t eepromRead(uint16_t addr) {
  if (addr >= EEPROM_BYTES) abort();
  return ee[addr];
}

bool eepromUpdate(uint16_t addr, uint8_t value) {
  if (addr >= EEPROM_BYTES) abort();
  if (ee[addr] == value) return true;
  if (budget == 0) {
    uint32_t r = rnd(3);
    ee[addr] = r == 0 ? ee[addr] : r == 1 ? value : static_cast<uint8_t>(rnd(256));
    throw PowerCut();
  }
  if (budget > 0) budget--;
  ee[addr] = value;
  cellWrites[addr]++;
  return true;
}

static void terminate(Config &c) {
  c.hostspec[CFG_HOSTSPEC_LEN] = c.iface[CFG_IFACE_LEN] = 0;
  c.mIn[CFG_METRIC_LEN] = c.mOut[CFG_METRIC_LEN] = c.mLat[CFG_METRIC_LEN] = 0;
  c.latInst[CFG_INST_LEN] = 0;
}

// A C SET changes a few bytes; a C RESET or a big change many.
static void mutate(Config &c) {
  uint8_t *p = reinterpret_cast<uint8_t *>(&c);
  uint32_t kind = rnd(10);
  uint32_t n = kind < 7 ? 1 + rnd(4) : kind < 9 ? 1 + rnd(40) : sizeof c;
  uint32_t from = rnd(sizeof c);
  for (uint32_t i = 0; i < n; i++) p[(from + i) % sizeof c] = static_cast<uint8_t>(rnd(256));
  terminate(c);
}

static void powerOn() { configRamLost(static_cast<uint8_t>(rnd(256))); }

static int cuts(unsigned long seed, long count, bool wrap) {
  rngState = seed * 2654435761u + 1;
  memset(ee, 0xFF, sizeof ee);
  powerOn();
  if (configLoad() != CFG_DEFAULTS) return printf("error=first-boot\n"), 1;
  if (wrap) {
    // Sequence just below the 32-bit wrap: the store must order across it.
    uint32_t seq = ~0xFFFFFFF0u;
    uint16_t at = CFG_EEPROM_ADDR + 0 * CFG_SLOT_SIZE + sizeof(ConfigHeader) + sizeof(Config);
    memcpy(ee + at, &seq, 4);
    memcpy(ee + at + 4, &seq, 4);
    powerOn();
    if (configLoad() != CFG_OK || configSaves() != 0xFFFFFFF0u)
      return printf("error=wrap-setup\n"), 1;
  }
  Config expected = cfg;
  Config defaults;
  memcpy(&defaults, &cfg, sizeof cfg);  // what the first boot stored
  uint32_t now = 0;
  long done = 0, keptOld = 0, gotNew = 0, lost = 0, half = 0, saves = 0, blankBoots = 0;
  uint32_t firstSeq = configSaves();
  while (done < count) {
    if (rnd(500) == 0) {
      // A cut while the very first boot stores the defaults on a blank EEPROM.
      memset(ee, 0xFF, sizeof ee);
      powerOn();
      budget = rnd(240);
      try {
        configLoad();
      } catch (PowerCut &) {
        budget = -1;
        powerOn();
        // Nothing was stored before: the defaults either way (stored now, or complete at the cut).
        CfgStatus st = configLoad();
        if ((st != CFG_DEFAULTS && st != CFG_OK) || memcmp(&cfg, &defaults, sizeof cfg)) {
          half++;
          const uint8_t *a = reinterpret_cast<const uint8_t *>(&cfg),
                        *b = reinterpret_cast<const uint8_t *>(&defaults);
          for (unsigned i = 0; i < sizeof cfg; i++)
            if (a[i] != b[i])
              fprintf(stderr, "blank: st %d byte %u %02x != %02x\n", st, i, a[i], b[i]);
        }
        done++;
        blankBoots++;
      }
      budget = -1;
      expected = cfg;
      continue;
    }
    Config next = expected;
    mutate(next);
    cfg = next;
    budget = rnd(260);
    now += CFG_SAVE_HOLDOFF_MS;  // past the hold-off: every save is written at once
    try {
      if (!configSave(now)) return printf("error=save-failed\n"), 1;
      budget = -1;
      expected = next;
      saves++;
      continue;
    } catch (PowerCut &) {
      budget = -1;
    }
    done++;
    powerOn();
    now = 0;
    CfgStatus st = configLoad();
    if (st != CFG_OK)
      lost++, fprintf(stderr, "lost: status %d after %ld cuts\n", st, done);
    else if (!memcmp(&cfg, &expected, sizeof cfg))
      keptOld++;
    else if (!memcmp(&cfg, &next, sizeof cfg))
      gotNew++, expected = next;
    else {
      half++;
      const uint8_t *a = reinterpret_cast<const uint8_t *>(&cfg),
                    *b = reinterpret_cast<const uint8_t *>(&expected),
                    *c = reinterpret_cast<const uint8_t *>(&next);
      for (unsigned i = 0; i < sizeof cfg; i++)
        if (a[i] != b[i] || a[i] != c[i])
          fprintf(stderr, "half: byte %u got %02x old %02x new %02x seq %lu\n", i, a[i], b[i], c[i],
                  (unsigned long)configSaves());
    }
  }
  printf(
      "cuts=%ld old=%ld new=%ld lost=%ld half=%ld saves=%ld blankboots=%ld seqfrom=%lu seqto=%lu\n",
      done, keptOld, gotNew, lost, half, saves, blankBoots, static_cast<unsigned long>(firstSeq),
      static_cast<unsigned long>(configSaves()));
  return 0;
}

static uint32_t maxCellWrites() {
  uint32_t m = 0;
  for (uint32_t w : cellWrites) m = w > m ? w : m;
  return m;
}

// Simulated uptime in ms steps of 10 ms; the host sends at `rate` per second.
static int wear(long seconds, long rate, bool resetEach) {
  rngState = 12345;
  memset(ee, 0xFF, sizeof ee);
  powerOn();
  configLoad();
  memset(cellWrites, 0, sizeof cellWrites);
  uint32_t saves0 = configSaves(), value = 0;
  uint32_t now = 0;
  long sets = 0;
  const uint32_t step = 10, end = seconds * 1000;
  uint32_t nextSet = 0, uptime = 0;
  while (uptime < end) {
    if (uptime >= nextSet) {
      if (resetEach) {
        configLoad();  // a reset that keeps RAM: millis() starts again from 0
        now = 0;
      }
      cfg.capDown = ++value;  // every C SET a new value
      configSave(now);
      sets++;
      nextSet += 1000 / rate;
    }
    configPoll(now);
    now += step;
    uptime += step;
  }
  // The last value reaches EEPROM once the hold-off ends.
  for (uint32_t t = 0; t <= CFG_SAVE_HOLDOFF_MS; t += step) configPoll(now += step);
  Config stored = cfg;
  powerOn();
  configLoad();
  printf("sets=%ld saves=%lu maxcell=%lu stored=%d\n", sets,
         static_cast<unsigned long>(configSaves() - saves0),
         static_cast<unsigned long>(maxCellWrites()),
         !memcmp(&cfg, &stored, sizeof cfg) && cfg.capDown == value);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 4 && !strcmp(argv[1], "cuts"))
    return cuts(strtoul(argv[2], 0, 10), atol(argv[3]), argc > 4);
  if (argc == 4 && !strcmp(argv[1], "wear")) return wear(atol(argv[2]), atol(argv[3]), false);
  if (argc == 3 && !strcmp(argv[1], "resetloop")) return wear(atol(argv[2]), 20, true);
  fprintf(stderr, "usage: cuts SEED COUNT [wrap] | wear SECONDS RATE | resetloop SECONDS\n");
  return 2;
}
