# HTTP/1.1 parser and encoder (src/lib/http.c): unit test and both fuzz harnesses.
test_http_SRCS := src/lib/http.c
fuzz_http_request_SRCS := src/lib/http.c
fuzz_http_response_SRCS := src/lib/http.c
