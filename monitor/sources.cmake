# The monitor, for every host that builds it (monitor/CMakeLists.txt for
# user space and the NT driver, qemu-rig/host for ring 0).
#
# Listed by hand, not globbed: a stray .c under monitor/ must not join
# ring 0 silently (ci/check-seams fails on a .c that no list names).
set(CO_MONITOR_DIR ${CMAKE_CURRENT_LIST_DIR})

set(CO_MONITOR_SOURCES
	${CO_MONITOR_DIR}/boot.c
	${CO_MONITOR_DIR}/config.c
	${CO_MONITOR_DIR}/elf.c
	${CO_MONITOR_DIR}/fmt.c
	${CO_MONITOR_DIR}/inspect.c
	${CO_MONITOR_DIR}/lib.c
	${CO_MONITOR_DIR}/loader.c
	${CO_MONITOR_DIR}/mailbox.c
	${CO_MONITOR_DIR}/passage.c
	${CO_MONITOR_DIR}/pgtable.c
	${CO_MONITOR_DIR}/queue.c
	${CO_MONITOR_DIR}/ram.c
	${CO_MONITOR_DIR}/run.c
	${CO_MONITOR_DIR}/term.c
	${CO_MONITOR_DIR}/time.c
	${CO_MONITOR_DIR}/vm.c
	${CO_MONITOR_DIR}/devices/cobd.c
	${CO_MONITOR_DIR}/devices/cocon.c
	${CO_MONITOR_DIR}/devices/cocon_screen.c
	${CO_MONITOR_DIR}/devices/conet.c
	${CO_MONITOR_DIR}/devices/conet_loop.c
	${CO_MONITOR_DIR}/devices/conet_pcap.c
	${CO_MONITOR_DIR}/devices/power.c
	${CO_MONITOR_DIR}/devices/timer.c
	# The x86-64 switch: passage.S is a position-independent blob that
	# transit.c copies into the passage code page.
	${CO_MONITOR_DIR}/arch/x86_64/passage.S
	${CO_MONITOR_DIR}/arch/x86_64/transit.c)
set_source_files_properties(${CO_MONITOR_DIR}/arch/x86_64/passage.S
	PROPERTIES LANGUAGE ASM)

# The part a user-space front end reuses without a VM (colinux-daemon.exe
# checks the configuration and the kernel image before it opens the
# driver): configuration, ELF checks, formatting, exit statuses.
set(CO_MONITOR_FRONTEND_SOURCES
	${CO_MONITOR_DIR}/config.c
	${CO_MONITOR_DIR}/elf.c
	${CO_MONITOR_DIR}/fmt.c
	${CO_MONITOR_DIR}/lib.c
	${CO_MONITOR_DIR}/term.c)

# Not compiled into anything: the source of <colinux/cpu-offsets.h>.
set(CO_MONITOR_GENERATOR_SOURCES
	${CO_MONITOR_DIR}/arch/x86_64/asm-offsets.c)

# What hosts and back-ends may include: the public headers and the
# generated offsets. The monitor's own folder (its private "internal/"
# headers) is for the monitor and tests/ only.
set(CO_MONITOR_GENERATED_INCLUDE ${PROJECT_BINARY_DIR}/generated/include)
set(CO_MONITOR_PUBLIC_INCLUDE
	${CO_MONITOR_DIR}/include ${CO_MONITOR_GENERATED_INCLUDE})

# co_cpu_offsets: generates <colinux/cpu-offsets.h> with this build's C
# compiler (the offsets are the ABI's, the same for every x86-64 host).
function(co_add_cpu_offsets)
	set(gen ${CO_MONITOR_GENERATED_INCLUDE}/colinux)
	set(asm ${PROJECT_BINARY_DIR}/generated/asm-offsets.s)
	add_custom_command(OUTPUT ${gen}/cpu-offsets.h
		COMMAND ${CMAKE_COMMAND} -E make_directory ${gen}
		COMMAND ${CMAKE_C_COMPILER} -std=gnu11 -S -o ${asm}
			-I ${CO_MONITOR_DIR}/include
			${CO_MONITOR_GENERATOR_SOURCES}
		COMMAND ${CMAKE_COMMAND} -DIN=${asm} -DOUT=${gen}/cpu-offsets.h
			-P ${PROJECT_SOURCE_DIR}/cmake/asm-offsets.cmake
		DEPENDS ${CO_MONITOR_GENERATOR_SOURCES}
			${CO_MONITOR_DIR}/arch/x86_64/switch.h
			${CO_MONITOR_DIR}/include/colinux/abi/passage.h
			${CO_MONITOR_DIR}/include/colinux/abi/types.h
			${PROJECT_SOURCE_DIR}/cmake/asm-offsets.cmake
		COMMENT "Generating colinux/cpu-offsets.h from asm-offsets.c"
		VERBATIM)
	add_custom_target(co_cpu_offsets DEPENDS ${gen}/cpu-offsets.h)
	add_library(co_monitor_headers INTERFACE)
	target_include_directories(co_monitor_headers INTERFACE
		${CO_MONITOR_PUBLIC_INCLUDE})
	add_dependencies(co_monitor_headers co_cpu_offsets)
endfunction()

# co_link_monitor(TARGET HOST...): link a program with the monitor and the
# host library that implements its contract (colinux/host.h). The two call
# each other, so the linker rescans them as one group.
function(co_link_monitor target)
	string(JOIN "," libs co_monitor ${ARGN})
	target_link_libraries(${target} PRIVATE "$<LINK_GROUP:RESCAN,${libs}>")
endfunction()
