#include <stddef.h>
#include <stdint.h>

// libFuzzer's driver, for a harness that has a main of its own (LLVM's docs: "Using libFuzzer as a library").
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));
