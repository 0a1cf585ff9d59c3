# tests/reliability/loaders/: issue 16's loader regressions through the CLI (train needs
# LibTorch) — its own executable, so that other tests/reliability/ files wire themselves
# independently. Included from tests/CMakeLists.txt.
if(TARGET batchrmt_networks)
  file(GLOB _rel_loader_srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/loaders/*.cpp)
  add_executable(reliability_loaders_tests ${_rel_loader_srcs})
  target_link_libraries(reliability_loaders_tests PRIVATE batchrmt::raw_formats nlohmann_json::nlohmann_json
                        GTest::gtest_main)
  target_include_directories(reliability_loaders_tests PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_definitions(reliability_loaders_tests PRIVATE BATCHRMT_CLI="$<TARGET_FILE:batchrmt>")
  add_dependencies(reliability_loaders_tests batchrmt)
  batchrmt_warnings(reliability_loaders_tests)
  gtest_discover_tests(reliability_loaders_tests TEST_PREFIX "reliability.loaders." DISCOVERY_TIMEOUT 120
                       PROPERTIES TIMEOUT 600 LABELS reliability)
endif()
