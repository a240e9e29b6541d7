// The guide's hello-world app: answers "You've hit <hostname>" on port 8080 and logs
// every request. In a pod the hostname is the pod's name, so a Service's answers show
// which replica served them.
const http = require('http');
const os = require('os');

const port = 8080;

function handler(request, response) {
  console.log("Received request from " + request.connection.remoteAddress);
  response.writeHead(200, {'Content-Type': 'text/plain'});
  response.end("You've hit " + os.hostname() + "\n");
}

const server = http.createServer(handler);
server.listen(port, function () {
  console.log("Hello server listening on port " + port);
});

// As PID 1 in a container, node gets no default SIGTERM handling: exit when asked to stop,
// so `docker stop` and pod deletion do not wait out their grace period.
process.on('SIGTERM', function () {
  console.log("SIGTERM: stopping");
  process.exit(0);
});
