// pmlcd firmware as an Arduino IDE sketch: open this file, pick Tools > Board >
// Arduino Uno, then Upload. The code is in src/ (the IDE compiles that folder
// recursively); src/main.cpp defines setup(), loop() and main() itself, so this
// file is empty on purpose. The same sources build with `npm run build:firmware`
// and PlatformIO (see README.md).
