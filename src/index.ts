export { AccountDurableObject } from "./billing/account-do";
export { TollgateRpc } from "./rpc";
export { default } from "./worker";
