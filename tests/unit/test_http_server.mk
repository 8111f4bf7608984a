# HTTP server and client (src/lib/http_server.c, http_client.c) over loopback, plain and mbedtls TLS.
test_http_server_SRCS := src/lib/http.c src/lib/http_server.c src/lib/http_client.c
test_http_server_LIBS := -lmbedtls -lmbedx509
