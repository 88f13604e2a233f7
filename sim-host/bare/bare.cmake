# The bare-metal host (a multiboot kernel QEMU boots; qemu-rig/run) in its
# own directory scope, so that no build type's flags (ASan, coverage,
# PIE) reach code that runs in ring 0 without a C library.
add_subdirectory(${CMAKE_CURRENT_LIST_DIR} ${CMAKE_CURRENT_BINARY_DIR}/bare)
