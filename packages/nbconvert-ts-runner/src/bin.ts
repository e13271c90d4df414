/** The `nbconvert-ts-runner` program (bin/nbconvert-ts-runner.js runs its compiled copy). */
import { main } from "./cli";

main();
