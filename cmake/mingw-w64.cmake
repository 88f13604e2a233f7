# Cross-compiling for 64-bit Windows with Debian's mingw-w64:
#   cmake -S . -B build-nt -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake
# builds the monitor into colinux.sys (nt/driver) and colinux-daemon.exe.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(CO_MINGW_PREFIX x86_64-w64-mingw32 CACHE STRING "mingw-w64 tool prefix")
set(CMAKE_C_COMPILER ${CO_MINGW_PREFIX}-gcc)
set(CMAKE_ASM_COMPILER ${CO_MINGW_PREFIX}-gcc)
set(CMAKE_RC_COMPILER ${CO_MINGW_PREFIX}-windres)

set(CMAKE_FIND_ROOT_PATH /usr/${CO_MINGW_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
