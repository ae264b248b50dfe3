# Regenerates man pages and completions into WORK_DIR and fails when they differ from the
# committed copies under man/ and completions/ (run `scripts/gen-docs.sh` to refresh them).
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR}/man ${WORK_DIR}/completions)
execute_process(COMMAND ${SEGX} generate man ${WORK_DIR}/man RESULT_VARIABLE rc1)
execute_process(COMMAND ${SEGX} generate completions ${WORK_DIR}/completions RESULT_VARIABLE rc2)
if(NOT rc1 EQUAL 0 OR NOT rc2 EQUAL 0)
  message(FATAL_ERROR "segx generate failed (${rc1}, ${rc2})")
endif()
foreach(kind man completions)
  execute_process(COMMAND diff -r ${SOURCE_DIR}/${kind} ${WORK_DIR}/${kind}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${kind}/ is out of date; run scripts/gen-docs.sh\n${out}")
  endif()
endforeach()
