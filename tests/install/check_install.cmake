# Installs the built segx into a fresh prefix, builds tests/install/example against it as an
# application would (find_package(segx), nothing set by hand: no LD_LIBRARY_PATH, no rpath
# flags), runs it on an image with a model, and checks what it printed.
#   cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK_DIR=... -DMODEL_DIR=... -DIMAGE=... -P
foreach(var BUILD_DIR SOURCE_DIR WORK_DIR MODEL_DIR IMAGE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_install.cmake needs -D${var}=...")
  endif()
endforeach()
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(last_out "${out}" PARENT_SCOPE)
  set(last_err "${err}" PARENT_SCOPE)
endfunction()

run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/install/example -B ${WORK_DIR}/build
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
# The run sees neither the build tree nor any library path set by hand.
run(${CMAKE_COMMAND} -E env --unset=LD_LIBRARY_PATH
    ${WORK_DIR}/build/segx_example ${MODEL_DIR}/model.json ${MODEL_DIR}/weights.safetensors
    ${IMAGE})
if(NOT last_out MATCHES "^[0-9]+x[0-9]+: [0-9]+ segments\n")
  message(FATAL_ERROR "segx_example printed no result:\n${last_out}\n${last_err}")
endif()
# A missing image comes back as segx::Error with its exit-code class (66), not as an exit.
execute_process(COMMAND ${WORK_DIR}/build/segx_example ${MODEL_DIR}/model.json
                        ${MODEL_DIR}/weights.safetensors ${WORK_DIR}/no-such-image.png
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 66 OR NOT err MATCHES "segx_example: cannot open .*no-such-image.png")
  message(FATAL_ERROR "a missing image gave exit ${rc}:\n${err}")
endif()
message(STATUS "installed segx: an out-of-tree application built and ran:\n${last_out}")
