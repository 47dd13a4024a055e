# Run as a script (cmake -P) at build time: writes OUTPUT, a C++ source that defines
# `const std::string_view krepis::embedded::NAME` holding the bytes of INPUT, so that
# JavaScript built into krepis lives in its own .js files rather than in C++ strings.
#
#   cmake -DINPUT=file.js -DOUTPUT=file.cc -DNAME=kWebEvents -P EmbedText.cmake
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
# Lines of 16 bytes keep the generated file readable by editors and compilers alike.
string(REPEAT "[0-9a-f]" 32 line)
string(REGEX REPLACE "(${line})" "\\1\n" bytes "${hex}")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${bytes}")
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${INPUT} by cmake/EmbedText.cmake: do not edit.\n"
  "#include <string_view>\n\n"
  "namespace krepis::embedded {\n"
  "namespace {\n"
  "constexpr char kBytes[${size} + 1] = {\n${bytes}\n0};\n"
  "}  // namespace\n"
  "extern const std::string_view ${NAME};\n"
  "const std::string_view ${NAME}(kBytes, ${size});\n"
  "}  // namespace krepis::embedded\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
