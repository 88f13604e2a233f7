# The x86-64 world switch: passage.S is a position-independent blob that
# monitor/arch/x86_64/transit.c copies into the passage code page. (The
# C files under arch/ are picked up by the monitor's glob already.)
target_sources(co_monitor PRIVATE
	${CMAKE_CURRENT_LIST_DIR}/x86_64/passage.S)
set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/x86_64/passage.S
	PROPERTIES LANGUAGE ASM)
