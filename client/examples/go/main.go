// Command defifundr-data-go-example shows a Go service calling the DefiFundr
// data service through stubs generated from our .proto files
// (`make proto-go`). CI compiles it against Debian's Go gRPC packages
// (scripts/proto_go.sh); run it against a server with
//
//	defifundr-data-go-example -target localhost:50051
//
// or, in Kubernetes, spread over every pod of the headless Service, one
// connection per pod and RPCs in turn (gRPC's round_robin policy):
//
//	defifundr-data-go-example \
//	  -target dns:///defifundr-data-headless.defifundr:50051 -lb round_robin
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"time"

	datav1 "github.com/demola234/defifundr/data/v1"
	"google.golang.org/grpc"
)

func main() {
	target := flag.String("target", "localhost:50051",
		"the data service: host:port, or dns:///host:port to resolve every address")
	lb := flag.String("lb", "pick_first",
		"load-balancing policy: pick_first (one connection) or round_robin (every address)")
	flag.Parse()
	if *lb != "pick_first" && *lb != "round_robin" {
		log.Fatalf("-lb: %q is neither pick_first nor round_robin", *lb)
	}

	conn, err := grpc.Dial(*target, grpc.WithInsecure(),
		grpc.WithDefaultServiceConfig(fmt.Sprintf(`{"loadBalancingConfig": [{%q: {}}]}`, *lb)))
	if err != nil {
		log.Fatalf("dial %s: %v", *target, err)
	}
	defer conn.Close()
	users := datav1.NewUserServiceClient(conn)
	// Every service has a client; these are the others.
	_ = datav1.NewSessionServiceClient(conn)
	_ = datav1.NewKycServiceClient(conn)
	_ = datav1.NewUserDeviceServiceClient(conn)
	_ = datav1.NewOtpServiceClient(conn)
	_ = datav1.NewTransactionServiceClient(conn)
	_ = datav1.NewUserWalletServiceClient(conn)
	_ = datav1.NewWaitlistServiceClient(conn)
	_ = datav1.NewSecurityEventServiceClient(conn)

	// Every user, 100 per page (keyset pagination: follow next_page_token).
	request := &datav1.ListUsersRequest{PageSize: 100}
	count := 0
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		page, err := users.ListUsers(ctx, request)
		cancel()
		if err != nil {
			log.Fatalf("ListUsers: %v", err)
		}
		for _, u := range page.GetUsers() {
			count++
			if count <= 3 {
				fmt.Printf("%s %s %s\n", u.GetId(), u.GetEmail(), u.GetAccountType())
			}
		}
		if page.GetNextPageToken() == "" {
			break
		}
		request.PageToken = page.GetNextPageToken()
	}
	fmt.Printf("%d users\n", count)
}
