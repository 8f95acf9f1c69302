# pbx_proto_generate(OUT_SRCS file.proto...): run protoc-c at build time; the
# generated C lives in the build tree only (${CMAKE_BINARY_DIR}/proto).
function(pbx_proto_generate out)
	set(srcs)
	foreach(p ${ARGN})
		get_filename_component(base ${p} NAME_WE)
		set(c ${CMAKE_BINARY_DIR}/proto/${base}.pb-c.c)
		set(h ${CMAKE_BINARY_DIR}/proto/${base}.pb-c.h)
		add_custom_command(OUTPUT ${c} ${h}
			COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/proto
			COMMAND ${PROTOC_C} --c_out=${CMAKE_BINARY_DIR}/proto
				-I${CMAKE_CURRENT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR}/${p}
			DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${p}
			COMMENT "protoc-c ${p}")
		list(APPEND srcs ${c})
	endforeach()
	set(${out} ${srcs} PARENT_SCOPE)
endfunction()
