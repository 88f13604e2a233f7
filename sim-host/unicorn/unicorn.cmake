# The Unicorn CPU back-end (Unicorn 2.0.1 from Debian: libunicorn-dev).
find_library(CO_UNICORN_LIB unicorn REQUIRED)
find_package(Threads REQUIRED)
add_library(co_unicorn STATIC
	${CMAKE_CURRENT_LIST_DIR}/uc_engine.c
	${CMAKE_CURRENT_LIST_DIR}/uc_deliver.c
	${CMAKE_CURRENT_LIST_DIR}/uc_run.c
	${CMAKE_CURRENT_LIST_DIR}/uc_ops.c
	${CMAKE_CURRENT_LIST_DIR}/hoststub.S)
set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/hoststub.S
	PROPERTIES LANGUAGE ASM)
target_include_directories(co_unicorn PUBLIC ${CMAKE_CURRENT_LIST_DIR})
# A back-end sees the monitor's public headers only; the program that
# uses it links the monitor and a host (co_link_monitor).
target_link_libraries(co_unicorn PUBLIC co_monitor_headers co_simhost_headers
	${CO_UNICORN_LIB} Threads::Threads)
