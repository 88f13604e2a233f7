# CPU-level tests: the real passage code and a tiny guest (guest.S) under
# the Unicorn back-end. One CMocka program per tests/cpu/test_*.c.
add_library(co_cputest STATIC
	${CMAKE_CURRENT_LIST_DIR}/cpu_harness.c
	${CMAKE_CURRENT_LIST_DIR}/guest.S)
set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/guest.S
	PROPERTIES LANGUAGE ASM)
target_include_directories(co_cputest PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(co_cputest PUBLIC co_unicorn co_testsupport)

# A minimal guest kernel (ELF) for the monitor-integrated test; linked
# by hand so that no build type's flags (sanitizers) reach it.
set(CO_CPU_GUEST_ELF ${CMAKE_CURRENT_BINARY_DIR}/cpu_guest.elf)
add_custom_command(OUTPUT ${CO_CPU_GUEST_ELF}
	COMMAND ${CMAKE_C_COMPILER} -nostdlib -static -no-pie
		-Wl,-T,${CMAKE_CURRENT_LIST_DIR}/guest_elf.ld -Wl,--build-id=none
		-o ${CO_CPU_GUEST_ELF} ${CMAKE_CURRENT_LIST_DIR}/guest_elf.S
	DEPENDS ${CMAKE_CURRENT_LIST_DIR}/guest_elf.S
		${CMAKE_CURRENT_LIST_DIR}/guest_elf.ld
	COMMENT "Linking the CPU tests' guest kernel")
add_custom_target(cpu_guest_elf DEPENDS ${CO_CPU_GUEST_ELF})

file(GLOB CO_CPU_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/test_*.c)
foreach(src ${CO_CPU_TESTS})
	get_filename_component(name ${src} NAME_WE)
	add_executable(cpu_${name} ${src})
	target_link_libraries(cpu_${name} PRIVATE co_cputest co_unicorn co_testsupport)
	co_link_monitor(cpu_${name} co_simhost)
	target_compile_definitions(cpu_${name} PRIVATE
		CO_CPU_GUEST_ELF="${CO_CPU_GUEST_ELF}")
	add_dependencies(cpu_${name} cpu_guest_elf)
	add_test(NAME cpu/${name} COMMAND cpu_${name})
	set_tests_properties(cpu/${name} PROPERTIES
		LABELS cpu TIMEOUT 300
		ENVIRONMENT "CO_TEST_TMPDIR=${CMAKE_CURRENT_BINARY_DIR}/tmp")
endforeach()
