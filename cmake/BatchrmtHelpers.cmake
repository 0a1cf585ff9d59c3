# Warnings for our own code only (third-party headers are included as SYSTEM).
function(batchrmt_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra)
endfunction()

# batchrmt_layer(NAME name SOURCES ... DEPS ...): the library of one top-level folder,
# exported as batchrmt::name, headers included as "name/header.hpp" from the repository root.
function(batchrmt_layer)
  cmake_parse_arguments(L "" "NAME" "SOURCES;DEPS" ${ARGN})
  add_library(batchrmt_${L_NAME} STATIC ${L_SOURCES})
  add_library(batchrmt::${L_NAME} ALIAS batchrmt_${L_NAME})
  target_include_directories(batchrmt_${L_NAME} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}/generated)
  target_link_libraries(batchrmt_${L_NAME} PUBLIC ${L_DEPS})
  batchrmt_warnings(batchrmt_${L_NAME})
endfunction()
