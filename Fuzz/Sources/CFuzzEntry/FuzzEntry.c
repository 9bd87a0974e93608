// SwiftPM links ELF executables with `--defsym main=<Module>_main`, but `-parse-as-library` (needed so that
// libFuzzer provides `main`) means the Swift module never emits `<Module>_main`, and the link fails
// (swiftlang/swift-package-manager#8731). Defining that symbol here for each fuzzer and handing control to
// libFuzzer's driver makes `swift build` work; with a SwiftPM that does not alias `main`, libFuzzer's own `main` is
// used and these are unused.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

int FuzzMQTTCodec_main(int argc, char **argv) {
    return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput);
}

int FuzzHTTPDecoders_main(int argc, char **argv) {
    return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput);
}

int FuzzNATSParser_main(int argc, char **argv) {
    return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput);
}
