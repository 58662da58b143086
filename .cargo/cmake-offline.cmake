# Use Debian's libsimde-dev instead of letting WAMR's CMake clone simde from GitHub.
if(EXISTS "/usr/include/simde")
  set(FETCHCONTENT_SOURCE_DIR_SIMDE "/usr/include" CACHE PATH "")
endif()
