# Provenance captured at configure time: git SHA (with a -dirty mark), build type, compiler.
find_package(Git QUIET)
set(BATCHRMT_GIT_SHA "unknown")
if(GIT_FOUND AND EXISTS "${PROJECT_SOURCE_DIR}/.git")
  execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse HEAD
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} OUTPUT_VARIABLE _sha
    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE _rc)
  if(_rc EQUAL 0 AND _sha)
    set(BATCHRMT_GIT_SHA "${_sha}")
    execute_process(COMMAND ${GIT_EXECUTABLE} status --porcelain --untracked-files=no
      WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} OUTPUT_VARIABLE _dirty
      OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(_dirty)
      set(BATCHRMT_GIT_SHA "${BATCHRMT_GIT_SHA}-dirty")
    endif()
  endif()
endif()
# Re-run the configure step when HEAD moves, so the SHA stays current.
if(EXISTS "${PROJECT_SOURCE_DIR}/.git/HEAD")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/.git/HEAD")
  file(READ "${PROJECT_SOURCE_DIR}/.git/HEAD" _head)
  if(_head MATCHES "^ref: (.*)\n?$")
    string(STRIP "${CMAKE_MATCH_1}" _ref)
    if(EXISTS "${PROJECT_SOURCE_DIR}/.git/${_ref}")
      set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/.git/${_ref}")
    endif()
  endif()
endif()
set(BATCHRMT_COMPILER "${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION}")
configure_file(${PROJECT_SOURCE_DIR}/core/build_info.hpp.in
               ${PROJECT_BINARY_DIR}/generated/batchrmt_build_info.hpp @ONLY)
