# tests/reliability/loaders/: the loader regressions of docs/reliability.md through the CLI (train needs
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

# Chaos: kill -9 at seeded random points of simulate, spectrum and train, --resume, compare
# bit for bit with an uninterrupted run (10 trials each; about 2-4 minutes on 2 cores).
if(TARGET batchrmt_networks)
  add_test(NAME reliability.chaos
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/chaos_test.sh $<TARGET_FILE:batchrmt> 10 16)
  set_tests_properties(reliability.chaos PROPERTIES LABELS reliability TIMEOUT 900 RUN_SERIAL TRUE)
endif()
