# What only the tests need (BUILD_TESTING): GoogleTest, and a Python with
# pytest + grpc for the end-to-end tests. A server-only build skips all of it.
find_package(GTest REQUIRED)
# The tests' Python must have Debian's python3-pytest, python3-grpcio and
# python3-protobuf. A `python3` earlier on PATH (pyenv, a venv) may lack them,
# so the first candidate that imports all three is used; set ECHELON_PYTHON
# to choose another.
if(NOT ECHELON_PYTHON)
  find_program(_echelon_path_python python3)
  foreach(candidate /usr/bin/python3 ${_echelon_path_python})
    execute_process(COMMAND ${candidate} -c "import pytest, grpc, google.protobuf"
                    RESULT_VARIABLE _echelon_python_rc OUTPUT_QUIET ERROR_QUIET)
    if(_echelon_python_rc EQUAL 0)
      set(ECHELON_PYTHON ${candidate} CACHE FILEPATH "Python with pytest, grpcio and protobuf for the tests")
      break()
    endif()
  endforeach()
endif()
if(NOT ECHELON_PYTHON)
  message(FATAL_ERROR "No python3 with pytest, grpcio and protobuf: run scripts/install-deps")
endif()
