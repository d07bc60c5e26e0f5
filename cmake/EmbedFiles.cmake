# kelu_embed_files(<output.cpp> <namespace> <function> <files...>)
# Generates a C++ file with a function returning {name, contents} for each file, so the
# binary carries its SQL migrations and holiday data without reading the source tree.
function(kelu_embed_files output ns function)
  set(deps)
  foreach(f ${ARGN})
    list(APPEND deps ${f})
  endforeach()
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${output} -DNS=${ns} -DFUNCTION=${function}
            "-DFILES=${ARGN}" -P ${PROJECT_SOURCE_DIR}/cmake/EmbedFilesScript.cmake
    DEPENDS ${deps} ${PROJECT_SOURCE_DIR}/cmake/EmbedFilesScript.cmake
    COMMENT "Embedding ${function}"
    VERBATIM)
endfunction()
