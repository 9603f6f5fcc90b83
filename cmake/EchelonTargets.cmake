# echelon_public_headers(<target> <folder> [SUBDIRS dir...] [FILES header...])
#
# Makes the headers of <folder> (a path below the repository root, e.g.
# server/world) visible as "<folder>/name.h" to <target> and to whoever links
# it, and nothing else of the tree. Each target gets its own include root of
# symlinks under the build tree, so an include of a folder that a target does
# not link fails to compile instead of silently working: CMake states the
# dependency graph (docs/architecture.md), and tests/architecture checks the
# allowed directions on top.
function(echelon_public_headers target folder)
  cmake_parse_arguments(PARSE_ARGV 2 arg "" "" "SUBDIRS;FILES")
  set(root ${CMAKE_BINARY_DIR}/include/${target})
  set(headers ${arg_FILES})
  if(NOT arg_FILES)
    file(GLOB headers CONFIGURE_DEPENDS RELATIVE ${PROJECT_SOURCE_DIR}/${folder} ${PROJECT_SOURCE_DIR}/${folder}/*.h)
    foreach(subdir ${arg_SUBDIRS})
      file(GLOB sub CONFIGURE_DEPENDS RELATIVE ${PROJECT_SOURCE_DIR}/${folder} ${PROJECT_SOURCE_DIR}/${folder}/${subdir}/*.h)
      list(APPEND headers ${sub})
    endforeach()
  endif()
  foreach(header ${headers})
    get_filename_component(dir ${root}/${folder}/${header} DIRECTORY)
    file(MAKE_DIRECTORY ${dir})
    if(NOT EXISTS ${root}/${folder}/${header})
      file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${folder}/${header} ${root}/${folder}/${header} SYMBOLIC)
    endif()
  endforeach()
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY")
    target_include_directories(${target} INTERFACE ${root})
  else()
    target_include_directories(${target} PUBLIC ${root})
  endif()
endfunction()
