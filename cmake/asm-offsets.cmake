# cmake -DIN=asm-offsets.s -DOUT=cpu-offsets.h -P asm-offsets.cmake
#
# Turns the "@co-offset@ NAME VALUE" markers that asm-offsets.c leaves in
# the compiler's assembly output into a header of #defines. The header is
# rewritten only when its text changes, so an unrelated edit to the
# structures' header rebuilds nothing that uses the offsets.
file(STRINGS "${IN}" lines REGEX "@co-offset@ ")
set(body "")
set(count 0)
foreach(line IN LISTS lines)
	if(NOT line MATCHES "@co-offset@ ([A-Z0-9_]+) ([0-9]+)")
		message(FATAL_ERROR "asm-offsets: cannot read \"${line}\" in ${IN}")
	endif()
	math(EXPR hex "${CMAKE_MATCH_2}" OUTPUT_FORMAT HEXADECIMAL)
	string(APPEND body "#define ${CMAKE_MATCH_1}\t${hex}\n")
	math(EXPR count "${count} + 1")
endforeach()
if(count EQUAL 0)
	message(FATAL_ERROR "asm-offsets: no offsets in ${IN}")
endif()
set(text "/* Generated from monitor/arch/x86_64/asm-offsets.c: do not edit. */
#ifndef COLINUX_CPU_OFFSETS_H
#define COLINUX_CPU_OFFSETS_H

${body}
#endif
")
if(EXISTS "${OUT}")
	file(READ "${OUT}" old)
	if(old STREQUAL text)
		return()
	endif()
endif()
file(WRITE "${OUT}" "${text}")
